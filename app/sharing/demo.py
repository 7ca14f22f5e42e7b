"""seed-demo, sharing: about 90 days of sharing history for the demo company.

- Ten past campaigns (published 25 to 90 days ago, expired, then archived) go through the
  content services, so that the older history has something to share; two links suggested
  by ambassadors were approved (accepted suggestions) and later archived.
- Declared social accounts (LinkedIn for every sharer, X and Facebook for some) with
  follower counts: the reach snapshot of each share.
- Shares by a skewed subset of people, as in real programmes: a handful of ambassadors
  (the Ambassadors Council and people who passed the ambassador course first) share most
  days, a few dozen regulars now and then, more people once or twice; weekdays more than
  weekends; each person shares an item at most once per network.
- Clicks on the tracked links: mostly human visitors (some come back), link-preview bots
  at share time, now and then the sharer's own click; one ambassador's post went viral.
- Conversions reported by the CRM on a small share of the visits, some with a value.
- Engagement (likes, comments, reshares) of most network shares, as snapshots a curator's
  CSV import of the networks' statistics would bring.

The demo employee (employee@) shared a few old campaigns only: her queue stays full for the
demo journey. Rows are written with bulk inserts (the whole seed stays fast); everything is
deterministic for the seed's ``rng``.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.accounts.models import (
    Group,
    GroupKind,
    Network,
    Role,
    SocialAccount,
    Topic,
    User,
    UserStatus,
    user_groups,
)
from app.common.actor import Actor
from app.content import services as content
from app.content.models import ContentEvent, ContentItem, ContentStatus
from app.db import utcnow
from app.demo import DOMAIN, demo_seeder
from app.sharing.engagement import SOURCE as ENGAGEMENT_SOURCE
from app.sharing.models import (
    Click,
    Conversion,
    EngagementSnapshot,
    Share,
    ShareMethod,
    ShareStatus,
)

DAYS = 90
DEMO_LOGINS = {f"{who}@{DOMAIN}" for who in ("admin", "curator", "manager", "employee")}
#: (title, language, url path, summary, topic, LinkedIn text, X text, days ago published)
PAST_CAMPAIGNS = [
    ("Acme named a leader in the 2026 Sales Enablement Wave", "en", "press/enablement-wave",
     "Independent analysts rank Acme first for content governance and analytics.",
     "Industry insights", "Proud moment: analysts named Acme a leader in this year's Sales "
     "Enablement Wave, first for content governance and analytics.",
     "Acme named a leader in the 2026 Sales Enablement Wave.", 88),
    ("Customer Summit 2026: the replays are online", "en", "events/summit-2026-replays",
     "Twelve sessions with customers and product teams, free to watch.", "Events",
     "Missed our Customer Summit? All twelve sessions are online, including the product "
     "roadmap and three customer stories.", "All Customer Summit 2026 replays, free:", 81),
    ("Acme ouvre son bureau de Lyon Part-Dieu", "fr", "fr/actualites/bureau-lyon",
     "Quatre-vingts postes et un espace client au cœur de Lyon.", "Company culture",
     "Nous ouvrons notre nouveau bureau à Lyon Part-Dieu : quatre-vingts postes et un "
     "espace pour recevoir nos clients. Venez nous voir !",
     "Nouveau bureau Acme à Lyon Part-Dieu !", 74),
    ("How Initech doubled its pipeline with employee advocacy", "en",
     "customers/initech-advocacy",
     "Initech's 300 sellers share approved content every week; the pipeline followed.",
     "Customer stories", "300 sellers, one queue of approved content, twice the pipeline. "
     "Initech explains how employee advocacy changed their quarter.",
     "Initech doubled its pipeline with employee advocacy:", 67),
    ("Webinaire : mesurer le retour sur investissement de vos contenus", "fr",
     "fr/webinaires/roi-contenus",
     "Attribution, conversions et valeur médiatique : la méthode pas à pas.",
     "Industry insights", "Comment mesurer le retour sur investissement de vos contenus ? "
     "Attribution, conversions, valeur médiatique : on vous montre la méthode en direct.",
     "Webinaire : mesurer le ROI de vos contenus.", 60),
    ("Release notes: smarter queues and daily caps", "en", "products/release-notes/queues",
     "Personal queues ranked by topic, language and freshness, with a daily cap.",
     "Product news", "Less is more: our new queues rank content by your topics, language "
     "and freshness, with a daily cap so nobody is flooded.",
     "Smarter queues, with a daily cap:", 53),
    ("Nos engagements pour l'égalité professionnelle", "fr", "fr/engagements/egalite",
     "Index égalité, mentorat et congés parentaux : où nous en sommes.", "Company culture",
     "Index égalité à 94, programme de mentorat et congé parental allongé : nos "
     "engagements, chiffres à l'appui.", "Égalité professionnelle : nos engagements.", 46),
    ("Inside the data team: from dashboards to decisions", "en",
     "life-at-acme/data-team", "How our data team helps every department decide faster.",
     "Engineering", "From dashboards to decisions: our data team on the questions they "
     "answer every week, and the tools behind them.",
     "Inside our data team: from dashboards to decisions.", 39),
    ("Acme rejoint le programme Numérique Responsable", "fr",
     "fr/engagements/numerique-responsable",
     "Écoconception et sobriété : un plan sur trois ans.", "Sustainability",
     "Acme rejoint le programme Numérique Responsable, avec un plan sur trois ans pour "
     "l'écoconception de nos produits.", "Acme s'engage pour un numérique responsable.", 32),
    ("We're hiring customer success managers in London and Berlin", "en",
     "jobs/customer-success-2026",
     "Join the team that keeps 3,000 customers happy.", "Careers",
     "Our customer success team is growing in London and Berlin. Know someone who loves "
     "helping customers win? Send them this.",
     "Hiring customer success managers in London and Berlin:", 26),
]
#: (title, language, url path, summary, comment, days ago suggested)
ACCEPTED_SUGGESTIONS = [
    ("Ten LinkedIn habits of great B2B sellers", "en", "blog/ten-linkedin-habits",
     "A practical guide from our top sellers.",
     "Prospects keep asking me how we use LinkedIn: this answers it.", 58),
    ("Retour d'expérience : nos ambassadeurs au salon VivaTech", "fr",
     "fr/blog/vivatech-ambassadeurs",
     "Trois jours de rencontres racontés par nos ambassadeurs.",
     "Nos clients ont adoré nos photos du salon, partageons le récit.", 35),
]
BOTS = ["LinkedInBot/1.0", "Twitterbot/1.0", "facebookexternalhit/1.1", "Slackbot 1.0"]
REFERRERS = {"linkedin": ["www.linkedin.com", "lnkd.in"], "x": ["t.co"],
             "facebook": ["l.facebook.com", "m.facebook.com"], "email": [""]}


@dataclass
class Sharer:
    user: User
    #: "ambassador" | "regular" | "occasional" | "demo"
    tier: str
    followers: dict[str, int]


@dataclass
class Window:
    item: ContentItem
    opens: datetime
    closes: datetime


@demo_seeder
def seed_sharing(db: Session, rng: random.Random) -> None:
    now = utcnow()
    curator = db.scalar(select(User).where(User.email == f"curator@{DOMAIN}"))
    actor = Actor(user_id=curator.id, user_agent="seed-demo")
    windows = _past_campaigns(db, rng, actor, curator, now)
    sharers = _sharers(db, rng)
    windows += _accepted_suggestions(db, rng, curator, now,
                                     [s.user for s in sharers if s.tier == "ambassador"])
    windows += _current_items(db, now)
    _declare_accounts(db, rng, sharers, now)
    shares = _shares(db, rng, sharers, windows, now)
    _clicks_and_conversions(db, rng, shares, now)
    # its own generator: the draws above (and the later seeders') stay as they were
    _engagement(db, random.Random(7), shares, now)
    db.flush()


# --- content that existed over the period ------------------------------------------------------


def _redate(db: Session, item: ContentItem, times: dict[str, datetime]) -> None:
    for event in db.scalars(select(ContentEvent).where(ContentEvent.item_id == item.id)):
        if event.action in times:
            event.at = times[event.action]
    item.created_at = times["created"]
    item.updated_at = max(times.values())


def _past_campaigns(db: Session, rng: random.Random, actor: Actor, curator: User,
                    now: datetime) -> list[Window]:
    topics = {t.name: t.id for t in db.scalars(select(Topic))}
    windows = []
    for title, language, path, summary, topic, linkedin, x, days in PAST_CAMPAIGNS:
        item = content.create_item(db, actor, content.ItemInput(
            url=f"https://www.acme.example/{path}", title=title, summary=summary,
            language=language, topic_ids=[topics[topic]] if topic in topics else [],
            texts={"linkedin": linkedin, "x": x, "facebook": linkedin},
            hashtags="Acme"))
        published = (now - timedelta(days=days)).replace(hour=8, minute=30, second=0,
                                                         microsecond=0)
        content.publish(db, actor, curator, item)
        item.expire_at = published + timedelta(days=rng.randint(18, 26))
        content.expire(db, None, item)
        content.archive(db, actor, item)
        item.published_at = published
        _redate(db, item, {"created": published - timedelta(hours=rng.uniform(2, 30)),
                           "publish": published, "expire": item.expire_at,
                           "archive": item.expire_at + timedelta(days=2)})
        windows.append(Window(item, published, item.expire_at))
    return windows


def _accepted_suggestions(db: Session, rng: random.Random, curator: User, now: datetime,
                          ambassadors: list[User]) -> list[Window]:
    """Two links suggested by ambassadors, approved by the curator (the suggesters earn the
    "accepted suggestion" points), shared, and archived once their campaign was over."""
    windows = []
    by_language = {lang: [u for u in ambassadors if u.language == lang] or ambassadors
                   for lang in ("en", "fr")}
    for title, language, path, summary, comment, days in ACCEPTED_SUGGESTIONS:
        suggester = by_language[language][0]
        item = content.suggest(db, Actor(user_id=suggester.id, user_agent="seed-demo"),
                               suggester, url=f"https://www.acme.example/{path}",
                               title=title, comment=comment, summary=summary)
        item.language = language
        content.approve(db, Actor(user_id=curator.id, user_agent="seed-demo"), curator, item)
        suggested = now - timedelta(days=days, hours=rng.uniform(1, 8))
        published = suggested + timedelta(hours=rng.uniform(18, 30))
        closes = published + timedelta(days=14)
        content.archive(db, Actor(user_id=curator.id, user_agent="seed-demo"), item)
        item.published_at = published
        _redate(db, item, {"created": suggested, "submit": suggested, "approve": published,
                           "archive": closes})
        windows.append(Window(item, published, closes))
    return windows


def _current_items(db: Session, now: datetime) -> list[Window]:
    """The content seeder's published and expired items, shareable while they were live."""
    windows = []
    for item in db.scalars(select(ContentItem).where(
            ContentItem.status.in_([ContentStatus.PUBLISHED, ContentStatus.EXPIRED]),
            ContentItem.published_at.is_not(None)).order_by(ContentItem.id)):
        closes = item.expire_at if item.status == ContentStatus.EXPIRED and item.expire_at \
            else now
        windows.append(Window(item, item.published_at, min(closes, now)))
    return windows


# --- who shares --------------------------------------------------------------------------------


def _sharers(db: Session, rng: random.Random) -> list[Sharer]:
    """A skewed subset: 8 ambassadors, 24 regulars, 36 occasional sharers, the demo
    employee; most people never share (that is what real programmes look like)."""
    people = list(db.scalars(select(User).where(
        User.status == UserStatus.ACTIVE, User.role.in_([Role.EMPLOYEE, Role.MANAGER]),
        User.email.not_in(DEMO_LOGINS)).order_by(User.id)))
    council = set(db.scalars(select(user_groups.c.user_id).join(
        Group, Group.id == user_groups.c.group_id).where(
        Group.kind == GroupKind.TEAM, Group.name == "Ambassadors Council")))
    trained = _trained(db)
    # the trained (council members first) take the ambassador seats
    ranked = sorted(people, key=lambda u: (u.id not in trained, u.id not in council,
                                           rng.random()))
    ambassadors = ranked[:8]
    rest = ranked[8:]
    rng.shuffle(rest)
    rest.sort(key=lambda u: -(u.id in trained))  # trained people share more often
    regulars, occasionals = rest[:24], rest[24:60]
    sharers = ([Sharer(u, "ambassador", {}) for u in ambassadors]
               + [Sharer(u, "regular", {}) for u in regulars]
               + [Sharer(u, "occasional", {}) for u in occasionals])
    demo = db.scalar(select(User).where(User.email == f"employee@{DOMAIN}"))
    if demo is not None:
        sharers.append(Sharer(demo, "demo", {}))
    return sharers


def _trained(db: Session) -> set[int]:
    """People who passed the ambassador course (any language) in the training demo, which
    is seeded before this one and pays through gamification's ledger."""
    from app.gamification.models import Action, LedgerEntry
    from app.training.models import Course

    english = db.scalar(select(Course.id).where(Course.slug == "ambassador-en"))
    if english is None:
        return set()
    family = set(db.scalars(select(Course.id).where(
        (Course.id == english) | (Course.translation_of_id == english))))
    return set(db.scalars(select(LedgerEntry.user_id).where(
        LedgerEntry.action == Action.COURSE_COMPLETED, LedgerEntry.source_type == "course",
        LedgerEntry.source_id.in_(family))))


def _declare_accounts(db: Session, rng: random.Random, sharers: list[Sharer],
                      now: datetime) -> None:
    median = {"ambassador": 2600, "regular": 650, "occasional": 280, "demo": 420}
    rows = []
    for s in sharers:
        linkedin = int(rng.lognormvariate(0, 0.5) * median[s.tier]) + 20
        s.followers["linkedin"] = linkedin
        if s.tier == "ambassador" or rng.random() < 0.35:
            s.followers["x"] = int(linkedin * rng.uniform(0.2, 0.9)) + 5
        if rng.random() < 0.2:
            s.followers["facebook"] = int(rng.uniform(80, 600))
        handle = s.user.email.split("@")[0]
        for network, followers in s.followers.items():
            rows.append({"user_id": s.user.id, "network": Network(network),
                         "handle": f"@{handle}" if network == "x" else handle,
                         "profile_url": {
                             "linkedin": f"https://www.linkedin.com/in/{handle}",
                             "x": f"https://x.com/{handle}",
                             "facebook": f"https://www.facebook.com/{handle}"}[network],
                         "followers": followers,
                         "updated_at": now - timedelta(days=rng.randint(1, 60))})
    db.execute(insert(SocialAccount), rows)


# --- shares, clicks, conversions ---------------------------------------------------------------


@dataclass
class DemoShare:
    id: int
    sharer: Sharer
    network: str
    at: datetime
    reach: int


def _code(rng: random.Random, used: set[str]) -> str:
    while True:
        code = base64.urlsafe_b64encode(rng.getrandbits(64).to_bytes(8, "big")).decode()
        code = code.rstrip("=")
        if code not in used:
            used.add(code)
            return code


def _shares(db: Session, rng: random.Random, sharers: list[Sharer], windows: list[Window],
            now: datetime) -> list[DemoShare]:
    chance = {"ambassador": 0.7, "regular": 0.15, "occasional": 0.025, "demo": 0.09}
    past = [w for w in windows if w.item.status == ContentStatus.ARCHIVED]
    done: set[tuple[int, int, str]] = set()
    rows, meta, codes = [], [], set(db.scalars(select(Share.code)))
    for days_ago in range(DAYS, -1, -1):
        day = (now - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0,
                                                       microsecond=0)
        weekend = day.weekday() >= 5
        for s in sharers:
            if rng.random() >= chance[s.tier] * (0.25 if weekend else 1.0):
                continue
            at = day + timedelta(hours=rng.uniform(6.5, 19.5))
            if at > now - timedelta(minutes=20):
                continue
            network = _network(rng, s)
            # the demo employee keeps her current queue: she shared past campaigns only
            pool = past if s.tier == "demo" else windows
            live = [w for w in pool if w.opens <= at <= w.closes
                    and (s.user.id, w.item.id, network) not in done
                    and _targeted(w.item, s.user)]
            if not live:
                continue
            weights = [(3 if w.item.featured else 1) + w.item.priority
                       + max(0.0, 3 - (at - w.opens).days / 3) for w in live]
            window = rng.choices(live, weights=weights)[0]
            done.add((s.user.id, window.item.id, network))
            text = window.item.text_for("linkedin" if network in ("facebook", "email")
                                        else network) or window.item.title
            reach = s.followers.get(network, 0)
            rows.append({"code": _code(rng, codes), "user_id": s.user.id,
                         "item_id": window.item.id, "network": network,
                         "method": ShareMethod.INTENT, "status": ShareStatus.OPENED,
                         "text": text, "reach": reach, "created_at": at,
                         "failure_reason": ""})
            meta.append((s, network, at, reach))
    ids = [sid for (sid,) in db.execute(
        insert(Share).returning(Share.id, sort_by_parameter_order=True), rows)]
    return [DemoShare(sid, s, network, at, reach)
            for sid, (s, network, at, reach) in zip(ids, meta, strict=True)]


def _network(rng: random.Random, s: Sharer) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "email"
    if "x" in s.followers and roll < 0.3:
        return "x"
    if "facebook" in s.followers and roll < 0.4:
        return "facebook"
    return "linkedin"


def _targeted(item: ContentItem, user: User) -> bool:
    """The queue's targeting, in memory (groups and languages of the item)."""
    if item.target_languages and user.language not in item.target_languages.split(","):
        return False
    if item.groups:
        return bool({g.id for g in item.groups} & {g.id for g in user.groups})
    return True


def _clicks_and_conversions(db: Session, rng: random.Random, shares: list[DemoShare],
                            now: datetime) -> None:
    ctr = {"ambassador": 0.012, "regular": 0.007, "occasional": 0.005, "demo": 0.008}
    ambassador_shares = [s for s in shares if s.sharer.tier == "ambassador"
                         and s.network == "linkedin" and s.at < now - timedelta(days=20)]
    viral = rng.choice(ambassador_shares).id if ambassador_shares else None
    clicks, conversions = [], []
    number = 0
    for share in shares:
        expected = max(share.reach, 40) * ctr[share.sharer.tier] * rng.lognormvariate(0, 0.6)
        visitors = 420 if share.id == viral else int(expected)
        referrers = REFERRERS[share.network]
        for _bot in range(rng.randint(1, 3) if share.network != "email" else 0):
            clicks.append(_click(share.id, share.at + timedelta(seconds=rng.randint(1, 40)),
                                 f"bot-{rng.getrandbits(64):016x}", rng.choice(referrers),
                                 bot=True))
        if rng.random() < 0.25:  # the sharer checks their own post
            clicks.append(_click(share.id, share.at + timedelta(minutes=rng.randint(1, 30)),
                                 f"self-{share.sharer.user.id:08d}", rng.choice(referrers),
                                 self_=True))
        for _visitor in range(visitors):
            at = share.at + timedelta(hours=rng.expovariate(1 / 9))
            if at >= now:
                continue
            visitor = f"{rng.getrandbits(128):032x}"
            referrer = rng.choice(referrers)
            clicks.append(_click(share.id, at, visitor, referrer))
            if rng.random() < 0.15:  # comes back later
                again = at + timedelta(hours=rng.uniform(1, 40))
                if again < now:
                    clicks.append(_click(share.id, again, visitor, referrer))
            if rng.random() < 0.014:
                number += 1
                conversions.append(_conversion(rng, share.id, at, now, number))
    clicks.sort(key=lambda row: row["at"])  # written in time order, as the redirector does
    for i in range(0, len(clicks), 5000):
        db.execute(insert(Click), clicks[i:i + 5000])
    conversions.sort(key=lambda row: row["received_at"])
    if conversions:
        db.execute(insert(Conversion), conversions)


def _engagement(db: Session, rng: random.Random, shares: list[DemoShare],
                now: datetime) -> None:
    """Likes, comments and reshares, as a curator's CSV import of the networks' statistics
    would bring them: cumulative snapshots one, three and seven days after most LinkedIn,
    X and Facebook shares (the dashboards' engagements and earned media value)."""
    rows = []
    for share in shares:
        if share.network == "email" or rng.random() < 0.3:
            continue
        likes = int(max(share.reach, 50) * 0.012 * rng.lognormvariate(0, 0.7))
        for days, part in ((1, 0.6), (3, 0.9), (7, 1.0)):
            taken = share.at + timedelta(days=days)
            if taken >= now:
                break
            seen = int(likes * part)
            rows.append({"share_id": share.id, "taken_at": taken, "source": ENGAGEMENT_SOURCE,
                         "likes": seen, "comments": seen // 8, "reshares": seen // 15,
                         "impressions": int(share.reach * 0.35 * part)})
    for i in range(0, len(rows), 5000):
        db.execute(insert(EngagementSnapshot), rows[i:i + 5000])


def _click(share_id: int, at: datetime, visitor: str, referrer: str, *, bot: bool = False,
           self_: bool = False) -> dict:
    return {"share_id": share_id, "at": at, "visitor_hash": visitor[:64],
            "referrer_host": referrer, "is_bot": bot, "is_self": self_}


def _conversion(rng: random.Random, share_id: int, visit: datetime, now: datetime,
                number: int) -> dict:
    kind, value = rng.choices([("lead", None), ("signup", Decimal("49.00")),
                               ("demo_request", Decimal("1500.00")),
                               ("purchase", Decimal("4800.00"))],
                              weights=[60, 22, 14, 4])[0]
    occurred = min(visit + timedelta(minutes=rng.randint(3, 120)), now - timedelta(minutes=1))
    return {"event_id": f"crm-demo-{number:05d}", "share_id": share_id, "type": kind,
            "value": value, "currency": "EUR" if value is not None else "",
            "occurred_at": occurred,
            "received_at": min(occurred + timedelta(minutes=rng.randint(1, 15)), now),
            "payload": {"source": "demo"}}

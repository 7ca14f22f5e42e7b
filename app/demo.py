"""seed-demo: a believable demo company (Acme Relais): departments, locations, teams,
~200 people with a management chain, topics, an allowed domain and a policy.

Later features add their demo data by registering a seeder with ``@demo_seeder``.
The demo password is random per installation, kept in instance/demo-login.txt (0600) so
``make run`` can print the admin login every time.
"""

from __future__ import annotations

import importlib
import random
import secrets
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.accounts.models import (
    AllowedDomain,
    Group,
    GroupKind,
    PolicyAcceptance,
    PolicyVersion,
    Role,
    Topic,
    User,
    UserStatus,
    user_groups,
    user_topics,
)
from app.accounts.passwords import hash_password
from app.db import Database, utcnow

DOMAIN = "acme.example"
SEEDERS: list[Callable[[Session, random.Random], None]] = []
#: the demo modules, in seeding order (each registers its seeder with @demo_seeder)
DEMO_MODULES = [
    "app.content.demo",
    "app.training.demo",  # the ambassador course (before the badges that refer to it)
    "app.sharing.demo",  # 90 days of shares, clicks, conversions
    "app.gamification.demo",  # rules, badges, levels, challenges; awards the history
    "app.analytics.demo",  # tallies everything above into the daily rollups (last)
]

DEPARTMENTS = ["Sales", "Marketing", "Engineering", "Customer Success", "People & Culture",
               "Finance", "Product"]
LOCATIONS = ["Paris", "Lyon", "London", "Berlin", "Montréal"]
TOPICS = ["Product news", "Company culture", "Careers", "Customer stories", "Industry insights",
          "Events", "Sustainability", "Engineering"]
FIRST = ["Camille", "Léa", "Hugo", "Louis", "Chloé", "Emma", "Noah", "Jules", "Inès", "Arthur",
         "Manon", "Lucas", "Sarah", "Adam", "Zoé", "Nathan", "Alice", "Gabriel", "Jade", "Paul",
         "Olivia", "James", "Amelia", "Oliver", "Mia", "Leon", "Hannah", "Felix", "Lena", "Jonas",
         "Aisha", "Mateo", "Yuki", "Priya", "Omar", "Sofia", "Liam", "Chiara", "Tomás", "Nadia"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Smith", "Jones", "Taylor", "Brown", "Wilson", "Müller", "Schmidt",
        "Schneider", "Fischer", "Weber", "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard",
        "Nguyen", "Haddad", "Rossi", "García", "Kowalski"]

POLICY_MD = """# Relais social-media policy

Thank you for sharing what we do. A few rules keep it safe, honest and useful.

## Be yourself
- Share only what you find worth sharing; **nobody has to share**.
- Edit the suggested text so it sounds like you (unless an item is marked as locked).

## Be transparent
- Say that you work for Acme when you share company content (#employee or "I work here").
- Never pretend to be a customer or an independent reviewer.

## Protect people and information
- Never share confidential figures, customer names without approval, or colleagues' personal data.
- When in doubt, ask the communications team first.

## Be respectful
- No insults, no harassment, no political or religious debates in the company's name.

Questions? Write to [the communications team](https://acme.example/comms).
"""


def demo_seeder(fn: Callable[[Session, random.Random], None]):
    SEEDERS.append(fn)
    return fn


def _login_file() -> Path:
    from config import INSTANCE_DIR

    return INSTANCE_DIR / "demo-login.txt"


def demo_password() -> str:
    path = _login_file()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_urlsafe(12)
    path.write_text(password)
    path.chmod(0o600)
    return password


def print_logins(password: str) -> None:
    click.echo("")
    click.echo(f"  Relais demo logins (password for all: {password})")
    for role in ("admin", "curator", "manager", "employee"):
        click.echo(f"    {role + ':':<9} {role}@{DOMAIN}")
    click.echo("")


def seed(database: Database, *, if_empty: bool = False, people: int = 200) -> None:
    password = demo_password()
    with database.unit_of_work() as db:
        if db.scalar(select(func.count()).select_from(User)):
            if if_empty:
                click.echo("Database already has people: demo data not added.")
                if db.scalar(select(User.id).where(User.email == f"admin@{DOMAIN}")):
                    print_logins(password)
                return
            raise click.ClickException("The database already has people; seed-demo only fills "
                                       "an empty database.")
        rng = random.Random(42)
        _seed_company(db, rng, password, people)
        # each feature's demo module registers its seeder (order matters: later seeders
        # build on the data of earlier ones)
        for module in DEMO_MODULES:
            importlib.import_module(module)

        for seeder in SEEDERS:
            seeder(db, rng)
        # the history above is made up: its notices stay in the bells, but the e-mails
        # they queued (badges, levels, challenges, to invented addresses) are dropped
        from app.notifications.models import OutboxMessage

        db.execute(delete(OutboxMessage))
    click.echo(f"Demo company created: {people} people.")
    print_logins(password)


def _seed_company(db: Session, rng: random.Random, password: str, people: int) -> None:
    from app.config_defaults import DEMO_ARGON2

    now = utcnow()
    pw_hash = hash_password(password, **DEMO_ARGON2)  # one hash shared by every demo person
    departments = {name: Group(kind=GroupKind.DEPARTMENT, name=name) for name in DEPARTMENTS}
    locations = {name: Group(kind=GroupKind.LOCATION, name=name) for name in LOCATIONS}
    teams = {name: Group(kind=GroupKind.TEAM, name=name) for name in
             ["Ambassadors Council", "Enterprise Sales", "Brand", "Platform", "Mobile"]}
    topics = [Topic(name=name) for name in TOPICS]
    db.add_all([*departments.values(), *locations.values(), *teams.values(), *topics])
    db.add(AllowedDomain(domain=DOMAIN))
    db.flush()

    def person(email, name, role, dept, loc, manager=None, lang=None):
        return {"email": email, "name": name, "role": role, "status": UserStatus.ACTIVE,
                "language": lang or ("fr" if loc in ("Paris", "Lyon", "Montréal") else "en"),
                "timezone": {"Paris": "Europe/Paris", "Lyon": "Europe/Paris",
                             "London": "Europe/London", "Berlin": "Europe/Berlin",
                             "Montréal": "America/Toronto"}[loc],
                "password_hash": pw_hash, "session_version": 1, "failed_logins": 0,
                "created_at": now, "manager_id": manager, "_dept": dept, "_loc": loc}

    rows = [person(f"admin@{DOMAIN}", "Alex Admin", Role.ADMIN, "People & Culture", "Paris",
                   lang="en"),
            person(f"curator@{DOMAIN}", "Claire Curator", Role.CURATOR, "Marketing", "Paris",
                   lang="en")]
    # one head per department, then team members under them
    names = set()

    def unique_name():
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name not in names:
                names.add(name)
                return name

    heads = []
    for dept in DEPARTMENTS:
        loc = rng.choice(LOCATIONS)
        email = f"manager@{DOMAIN}" if dept == "Sales" else None
        name = "Morgan Manager" if email else unique_name()
        email = email or f"{name.lower().replace(' ', '.')}@{DOMAIN}"
        heads.append(person(email, name, Role.MANAGER, dept, loc, lang="en" if email.startswith(
            "manager@") else None))
    rows.extend(heads)
    remaining = people - len(rows)
    for i in range(remaining):
        dept_index = i % len(DEPARTMENTS)
        name = "Emma Employee" if i == 0 else unique_name()
        email = f"employee@{DOMAIN}" if i == 0 else \
            f"{name.lower().replace(' ', '.').replace('é', 'e').replace('ô', 'o')}{i}@{DOMAIN}"
        role = Role.MANAGER if i % 25 == 5 else Role.EMPLOYEE
        rows.append(person(email, name, role, DEPARTMENTS[dept_index], rng.choice(LOCATIONS),
                           lang="en" if i == 0 else None))

    extras = [{k: r.pop(k) for k in ("_dept", "_loc")} for r in rows]
    ids = [uid for (uid,) in db.execute(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows)]
    by_email = {r["email"]: uid for r, uid in zip(rows, ids, strict=True)}
    head_of = {DEPARTMENTS[i]: by_email[h["email"]] for i, h in enumerate(heads)}
    ceo = by_email[f"admin@{DOMAIN}"]
    links, manager_updates, topic_links = [], [], []
    sub_managers: dict[str, list[int]] = {d: [] for d in DEPARTMENTS}
    for r, extra, uid in zip(rows, extras, ids, strict=True):
        links.append({"user_id": uid, "group_id": departments[extra["_dept"]].id})
        links.append({"user_id": uid, "group_id": locations[extra["_loc"]].id})
        if r["role"] == Role.MANAGER and uid not in head_of.values():
            sub_managers[extra["_dept"]].append(uid)
    for r, extra, uid in zip(rows, extras, ids, strict=True):
        if uid == ceo:
            continue
        if uid in head_of.values() or r["email"] == f"curator@{DOMAIN}":
            manager = ceo
        elif sub_managers[extra["_dept"]] and uid not in sub_managers[extra["_dept"]] \
                and rng.random() < 0.6:
            manager = rng.choice(sub_managers[extra["_dept"]])
        else:
            manager = head_of[extra["_dept"]]
        manager_updates.append({"id": uid, "manager_id": manager})
        for topic in rng.sample(topics, k=rng.randint(1, 3)):
            topic_links.append({"user_id": uid, "topic_id": topic.id})
    # Emma Employee reports to Morgan Manager, for the demo journey
    for update_row in manager_updates:
        if update_row["id"] == by_email[f"employee@{DOMAIN}"]:
            update_row["manager_id"] = by_email[f"manager@{DOMAIN}"]
    from sqlalchemy import update

    db.execute(update(User), manager_updates)
    db.execute(insert(user_groups), links)
    db.execute(insert(user_topics), topic_links)
    ambassadors = teams["Ambassadors Council"].id
    db.execute(insert(user_groups), [{"user_id": uid, "group_id": ambassadors}
                                     for uid in rng.sample(ids[2:], 12)])
    policy = PolicyVersion(version=1, title="Relais social-media policy", body_md=POLICY_MD,
                           published_by_id=ceo)
    db.add(policy)
    db.flush()
    # most of the company accepted it already; the demo logins did not, so they see the gate
    demo_logins = {by_email[f"{who}@{DOMAIN}"] for who in ("admin", "curator", "manager",
                                                            "employee")}
    accepted = [uid for uid in ids if uid not in demo_logins and rng.random() < 0.85]
    db.execute(insert(PolicyAcceptance), [{"user_id": uid, "policy_version_id": policy.id,
                                           "accepted_at": now} for uid in accepted])
    db.execute(update(User), [{"id": uid, "accepted_policy_version": 1} for uid in accepted])

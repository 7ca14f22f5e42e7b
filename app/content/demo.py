"""seed-demo, content: three feed sources with a dozen inbox entries, and ~40 content items
in English and French across topics, groups and the whole lifecycle (published over the
last 20 days, scheduled, expired, drafts, in review, two employee suggestions).

Items go through the services (create_item, publish, submit_for_review, expire, suggest),
acted by the demo curator, so their ContentEvents and the audit log are the real ones; the
item dates (and its lifecycle events) are then moved back in time to look lived-in. Nothing
is fetched: the sources have never been polled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Group, Role, Topic, User, UserStatus
from app.common.actor import Actor
from app.content import feeds, services
from app.content.models import ContentEvent, ContentItem, InboxEntry, InboxStatus
from app.content.networks import NETWORKS, compose, count
from app.db import utcnow
from app.demo import DOMAIN, demo_seeder

PUBLISHED, SCHEDULED, EXPIRED, DRAFT, REVIEW = "published", "scheduled", "expired", "draft", \
    "review"

RESULTS_DISCLAIMER_EN = ("Forward-looking statements involve risks; past results do not "
                         "guarantee future performance.")
RESULTS_DISCLAIMER_FR = ("Déclarations prospectives soumises à des risques ; les résultats "
                         "passés ne préjugent pas de l'avenir.")


@dataclass(frozen=True)
class DemoItem:
    state: str
    language: str
    title: str
    url: str
    summary: str
    topics: tuple[str, ...]
    linkedin: str = ""
    x: str = ""
    facebook: str = ""  # empty: the LinkedIn text (Facebook has no practical limit)
    hashtags: str = ""
    groups: tuple[str, ...] = ()
    target_languages: tuple[str, ...] = ()
    disclaimer: str = ""
    text_locked: bool = False
    priority: int = 0
    featured: bool = False
    #: a published item that stops showing in N days (an event's registration closes...)
    expires_in_days: int | None = None
    curator_notes: str = ""


def _i(state, language, title, url, summary, topics, **kw) -> DemoItem:
    return DemoItem(state, language, title, url, summary, tuple(topics), **kw)


ITEMS: list[DemoItem] = [
    # --- published, English ------------------------------------------------------------------
    _i(PUBLISHED, "en", "Introducing Relay Analytics: real-time insight for every campaign",
       "https://www.acme.example/products/relay-analytics",
       "Relay Analytics brings live dashboards, attribution and team benchmarks to every "
       "Acme plan, with no spreadsheet in sight.",
       ["Product news"],
       linkedin="Big day for us: Relay Analytics is live! Live dashboards, attribution and team "
                "benchmarks, right where your campaigns run. I've watched the team build it "
                "for a year, and I'm proud of what they shipped.",
       x="Relay Analytics is live: real-time insight for every campaign, no spreadsheet "
         "needed.",
       facebook="Relay Analytics is out today: real-time insight for every campaign. Proud of "
                "the team behind it!",
       hashtags="RelayAnalytics ProductLaunch", priority=2, featured=True),
    _i(PUBLISHED, "en", "How Northwind Logistics cut onboarding time by 40% with Acme",
       "https://www.acme.example/customers/northwind-logistics",
       "Northwind Logistics replaced five onboarding tools with Acme and now brings new "
       "depots live in two weeks instead of five.",
       ["Customer stories"],
       linkedin="Five tools replaced by one, and new depots live in two weeks instead of five. "
                "Northwind Logistics tells how they rebuilt onboarding with Acme.",
       x="From five weeks to two: how Northwind Logistics rebuilt onboarding with Acme.",
       hashtags="CustomerSuccess Logistics", priority=1),
    _i(PUBLISHED, "en", "We're hiring 30 engineers in Paris, Lyon and Berlin",
       "https://careers.acme.example/jobs/engineering-2026",
       "Backend, mobile, data and platform roles: hybrid work, a learning budget and a team "
       "that ships every day.",
       ["Careers", "Engineering"],
       linkedin="My team is growing! We're hiring 30 engineers in Paris, Lyon and Berlin: "
                "backend, mobile, data and platform. Hybrid work, a real learning budget and "
                "colleagues who care about craft. Happy to tell you more over a coffee.",
       x="We're hiring 30 engineers in Paris, Lyon and Berlin. Backend, mobile, data, "
         "platform: come build with us.",
       facebook="We're hiring 30 engineers in Paris, Lyon and Berlin. Know someone great? "
                "Send them this link!",
       hashtags="Hiring TechJobs", priority=1, featured=True),
    _i(PUBLISHED, "en", "Meet us at SaaS Connect Europe, booth B12",
       "https://events.acme.example/saas-connect-europe",
       "Two days of demos, customer talks and a live Relay Analytics walkthrough at booth B12.",
       ["Events"],
       linkedin="I'll be at SaaS Connect Europe next week with the Acme team, booth B12. Come "
                "for a live Relay Analytics demo, stay for the coffee. Book a slot with us "
                "through the link.",
       x="See you at SaaS Connect Europe! Live demos at booth B12, book your slot:",
       hashtags="SaaSConnect Events", groups=("Sales", "Marketing"), expires_in_days=9),
    _i(PUBLISHED, "en", "Our 2026 sustainability report: 38% less carbon per customer",
       "https://www.acme.example/sustainability/report-2026",
       "Renewable-powered data centres, fewer flights and a greener product: what changed in "
       "a year, and what comes next.",
       ["Sustainability"],
       linkedin="38% less carbon per customer in a year. Our 2026 sustainability report is out, "
                "with the wins, the misses and the plan for 2030.",
       x="38% less carbon per customer in one year. Our 2026 sustainability report:",
       hashtags="Sustainability ClimateAction"),
    _i(PUBLISHED, "en", "How we moved 2 billion events a day to a streaming architecture",
       "https://engineering.acme.example/blog/streaming-architecture",
       "Why we left nightly batches behind, what broke on the way, and the numbers after six "
       "months in production.",
       ["Engineering"],
       linkedin="2 billion events a day, from nightly batches to streaming, with no downtime. "
                "Our platform team wrote up what broke and what they would do again.",
       x="2 billion events a day, moved from nightly batches to streaming. The full story from "
         "our platform team:",
       hashtags="Engineering DataStreaming", groups=("Engineering", "Product")),
    _i(PUBLISHED, "en", "Acme Q3 2026 results: revenue up 24% year on year",
       "https://investors.acme.example/results/q3-2026",
       "Third-quarter revenue grew 24% year on year, driven by enterprise customers and the "
       "launch of Relay Analytics.",
       ["Product news"],
       linkedin="Acme reports third-quarter 2026 revenue up 24% year on year, driven by "
                "enterprise customers. The full results are on our investor site.",
       x="Acme Q3 2026: revenue up 24% year on year. Full results:",
       hashtags="AcmeResults", disclaimer=RESULTS_DISCLAIMER_EN, text_locked=True,
       priority=1, target_languages=("en",),
       curator_notes="Approved by Finance and Legal: text locked, disclaimer mandatory."),
    _i(PUBLISHED, "en", "Five questions to ask before buying a sales enablement tool",
       "https://blog.acme.example/five-questions-sales-enablement",
       "A buyer's checklist from our solutions team: integrations, adoption, content "
       "governance, analytics and total cost.",
       ["Industry insights"],
       linkedin="Buying a sales enablement tool this year? These five questions save weeks of "
                "evaluation. I use them with prospects every week.",
       x="Buying a sales enablement tool? Ask these five questions first:",
       hashtags="SalesEnablement B2B", groups=("Sales", "Enterprise Sales")),
    _i(PUBLISHED, "en", "Inside our Berlin office: a day with the Platform team",
       "https://blog.acme.example/life-at-acme/berlin-platform-team",
       "Stand-ups on the terrace, on-call done right and Friday demos: a day in Berlin.",
       ["Company culture", "Careers"],
       linkedin="Ever wondered what a day on the Platform team looks like? Our Berlin office "
                "opened its doors for a day in the life.",
       x="A day with our Platform team in Berlin: stand-ups, on-call done right and Friday "
         "demos.",
       hashtags="LifeAtAcme Berlin"),
    _i(PUBLISHED, "en", "Globex Bank scales compliance reviews with Acme",
       "https://www.acme.example/customers/globex-bank",
       "Globex Bank reviews three times more campaigns with the same compliance team, with a "
       "full audit trail.",
       ["Customer stories"],
       linkedin="Three times more campaigns reviewed, same team, full audit trail. Globex "
                "Bank's compliance team explains how they work with Acme.",
       x="3x more campaigns reviewed with the same compliance team: the Globex Bank story.",
       hashtags="FinServ CustomerStory", groups=("Sales",), priority=1),
    _i(PUBLISHED, "en", "Webinar: what B2B buyers expect in 2027",
       "https://events.acme.example/webinars/b2b-buyers-2027",
       "Our research team shares what 800 B2B buyers told us about trust, content and "
       "salespeople. Live Q&A included.",
       ["Events", "Industry insights"],
       linkedin="What do B2B buyers expect in 2027? We asked 800 of them. Join our research "
                "team live on the 4th for the answers, and bring your questions.",
       x="We asked 800 B2B buyers what they expect in 2027. Join the live webinar:",
       hashtags="B2B Webinar", expires_in_days=6),
    _i(PUBLISHED, "en", "Single sign-on now included in every plan",
       "https://www.acme.example/products/release-notes/sso-for-all",
       "SAML and OIDC single sign-on are no longer an enterprise add-on: every plan gets them "
       "at no extra cost.",
       ["Product news"],
       linkedin="Security shouldn't be a premium feature. From today, SAML and OIDC single "
                "sign-on are included in every Acme plan.",
       x="Single sign-on is now included in every Acme plan. Security is not an add-on.",
       hashtags="Security SSO", groups=("Customer Success", "Sales")),
    _i(PUBLISHED, "en", "Why every Acme employee gets two volunteering days a year",
       "https://blog.acme.example/volunteering-days",
       "Food banks, coding clubs, river clean-ups: how 600 volunteering days were spent "
       "this year.",
       ["Company culture", "Sustainability"],
       linkedin="Two paid volunteering days a year, for everyone. This year we spent 600 days "
                "in food banks, coding clubs and river clean-ups. Here's what we learnt.",
       x="600 volunteering days this year: food banks, coding clubs, river clean-ups.",
       hashtags="LifeAtAcme Volunteering"),
    _i(PUBLISHED, "en", "State of employee advocacy 2026: what 1,200 marketers told us",
       "https://www.acme.example/research/state-of-employee-advocacy-2026",
       "Reach, trust and time spent: the benchmarks from our yearly survey of 1,200 "
       "marketers.",
       ["Industry insights"],
       linkedin="Posts shared by employees get 8x more engagement than brand posts, say 1,200 "
                "marketers in our new research. The full benchmarks are free to download.",
       x="Employee posts get 8x the engagement of brand posts. Our 2026 research:",
       hashtags="EmployeeAdvocacy Marketing", groups=("Marketing",)),
    _i(PUBLISHED, "en", "Our open-source feature-flag library passes 5,000 stars",
       "https://engineering.acme.example/blog/flagship-5000-stars",
       "Flagship started as a weekend project. Thank you to the 140 contributors who made it "
       "what it is.",
       ["Engineering"],
       linkedin="Flagship, the feature-flag library we open-sourced two years ago, just passed "
                "5,000 stars. Thank you to the 140 contributors!",
       x="Flagship, our open-source feature-flag library, passed 5,000 stars. Thank you, "
         "contributors!",
       hashtags="OpenSource"),
    _i(PUBLISHED, "en", "Acme named a Leader in the European CX Platforms ranking",
       "https://news.acme.example/press/cx-platforms-leader",
       "The independent ranking places Acme among the leaders for product vision and "
       "customer satisfaction.",
       ["Product news"],
       linkedin="Acme is named a Leader in this year's European CX Platforms ranking, with top "
                "marks for customer satisfaction. A team effort, and our customers' too.",
       x="Acme named a Leader in the European CX Platforms ranking.",
       hashtags="CX Leader", priority=1),
    _i(PUBLISHED, "en", "Graduate programme 2027: applications are open",
       "https://careers.acme.example/graduate-programme",
       "Eighteen months, three rotations, one mentor: our graduate programme opens in London "
       "and Berlin.",
       ["Careers"],
       linkedin="Graduating next year? Our 2027 graduate programme is open: three rotations "
                "in eighteen months, with a mentor all the way.",
       x="Graduating in 2027? Our graduate programme in London and Berlin is open:",
       hashtags="GraduateJobs Careers", groups=("London", "Berlin"),
       target_languages=("en",)),
    # --- published, French -------------------------------------------------------------------
    _i(PUBLISHED, "fr", "Acme ouvre un nouveau bureau à Lyon Part-Dieu",
       "https://www.acme.example/fr/actualites/nouveau-bureau-lyon",
       "Cent postes de travail, une terrasse et une salle de démo : notre équipe lyonnaise "
       "déménage à la Part-Dieu.",
       ["Company culture"],
       linkedin="Notre équipe lyonnaise a un nouveau chez-soi ! Cent postes, une terrasse et "
                "une salle de démo à deux pas de la gare Part-Dieu. Venez nous voir.",
       x="Nouveau bureau pour Acme à Lyon Part-Dieu : cent postes et une salle de démo.",
       hashtags="Lyon VieChezAcme", groups=("Lyon", "Paris"), target_languages=("fr",)),
    _i(PUBLISHED, "fr", "Témoignage client : la Maison Dufresne double ses leads B2B",
       "https://www.acme.example/fr/clients/maison-dufresne",
       "En six mois, la Maison Dufresne a doublé ses leads B2B grâce à ses ambassadeurs.",
       ["Customer stories"],
       linkedin="Doubler ses leads B2B en six mois grâce à ses collaborateurs : la Maison "
                "Dufresne raconte comment elle a lancé son programme ambassadeurs.",
       x="Deux fois plus de leads B2B en six mois : le témoignage de la Maison Dufresne.",
       hashtags="TémoignageClient B2B"),
    _i(PUBLISHED, "fr", "Nous recrutons 12 commerciaux à Paris et Montréal",
       "https://careers.acme.example/fr/offres/commerciaux",
       "Account executives et business developers : rejoignez une équipe qui grandit vite.",
       ["Careers"],
       linkedin="Mon équipe recrute ! Douze postes de commerciaux à Paris et à Montréal, pour "
                "accompagner nos clients grands comptes. Écrivez-moi si vous voulez en savoir "
                "plus.",
       x="Acme recrute 12 commerciaux à Paris et Montréal. Rejoignez-nous :",
       facebook="On recrute 12 commerciaux à Paris et à Montréal. Partagez autour de vous !",
       hashtags="Recrutement Commercial", groups=("Sales",), priority=1, featured=True),
    _i(PUBLISHED, "fr", "Salon Relation Client 2026 : retrouvez-nous stand C4",
       "https://events.acme.example/fr/salon-relation-client",
       "Démonstrations, ateliers et témoignages clients sur le stand Acme, les 9 et 10.",
       ["Events"],
       linkedin="Rendez-vous au Salon Relation Client les 9 et 10, stand C4 ! Démonstrations "
                "de Relay Analytics et témoignages clients au programme.",
       x="Salon Relation Client, stand C4 : démos et témoignages clients. On vous attend !",
       hashtags="RelationClient Salon", expires_in_days=12),
    _i(PUBLISHED, "fr", "Bilan carbone 2026 : nos engagements pour 2030",
       "https://www.acme.example/fr/engagements/bilan-carbone-2026",
       "Moins 38 % d'émissions par client et une trajectoire validée pour 2030.",
       ["Sustainability"],
       linkedin="Moins 38 % d'émissions par client en un an. Notre bilan carbone 2026 détaille "
                "ce qui a marché et la trajectoire jusqu'en 2030.",
       x="Bilan carbone 2026 : moins 38 % d'émissions par client. Nos engagements :",
       hashtags="RSE Climat"),
    _i(PUBLISHED, "fr", "Dans les coulisses de notre équipe mobile",
       "https://blog.acme.example/fr/coulisses-equipe-mobile",
       "Comment nos développeurs mobiles livrent chaque semaine sans casser l'application.",
       ["Engineering", "Company culture"],
       linkedin="Une mise en production par semaine, zéro panique : l'équipe mobile ouvre les "
                "coulisses de sa façon de travailler.",
       x="Une livraison par semaine sans casser l'appli : les coulisses de l'équipe mobile.",
       hashtags="Tech Mobile", groups=("Engineering",)),
    _i(PUBLISHED, "fr", "Résultats du troisième trimestre 2026",
       "https://investors.acme.example/fr/resultats/t3-2026",
       "Chiffre d'affaires en hausse de 24 % sur un an, porté par les grands comptes.",
       ["Product news"],
       linkedin="Acme publie ses résultats du troisième trimestre 2026 : chiffre d'affaires en "
                "hausse de 24 % sur un an. Les résultats complets sont en ligne.",
       x="Acme, T3 2026 : chiffre d'affaires en hausse de 24 % sur un an.",
       hashtags="Résultats", disclaimer=RESULTS_DISCLAIMER_FR, text_locked=True, priority=1,
       target_languages=("fr",),
       curator_notes="Validé par la Finance et le Juridique : texte verrouillé."),
    _i(PUBLISHED, "fr", "Livre blanc : l'IA au service des équipes commerciales",
       "https://www.acme.example/fr/ressources/livre-blanc-ia-commerciaux",
       "Qualification, préparation des rendez-vous, relances : des cas d'usage concrets.",
       ["Industry insights"],
       linkedin="L'IA ne remplacera pas les commerciaux, mais elle change leur quotidien. Notre "
                "livre blanc réunit des cas d'usage concrets, testés avec nos clients.",
       x="L'IA au service des commerciaux : notre livre blanc, avec des cas concrets.",
       hashtags="IA Vente", groups=("Sales", "Marketing")),
    _i(PUBLISHED, "fr", "Semaine de la qualité de vie au travail : le programme",
       "https://blog.acme.example/fr/semaine-qvt-2026",
       "Ateliers, conférences et défis sportifs dans nos bureaux de Paris, Lyon et Montréal.",
       ["Company culture"],
       linkedin="Ateliers, conférences et défis sportifs : découvrez le programme de notre "
                "semaine de la qualité de vie au travail.",
       x="Notre semaine de la qualité de vie au travail : le programme est en ligne.",
       hashtags="QVT VieChezAcme", groups=("Paris", "Lyon", "Montréal")),
    # --- scheduled ----------------------------------------------------------------------------
    _i(SCHEDULED, "en", "Acme Summit 2027: registration is open",
       "https://events.acme.example/summit-2027",
       "Two days in Paris with our customers, partners and product teams. Early-bird seats "
       "are limited.",
       ["Events"],
       linkedin="Acme Summit is back! Two days in Paris with customers, partners and our "
                "product teams. Early-bird seats go fast.",
       x="Acme Summit 2027 is open for registration. Early-bird seats are limited:",
       hashtags="AcmeSummit", priority=1),
    _i(SCHEDULED, "en", "Initech halves ticket resolution time with Acme",
       "https://www.acme.example/customers/initech",
       "Initech's support team shares how shared playbooks halved their resolution time.",
       ["Customer stories"],
       linkedin="Half the resolution time, happier customers: Initech's support team shares "
                "the playbooks behind the numbers.",
       x="Initech halved its ticket resolution time. Here's how:",
       hashtags="CustomerStory Support", groups=("Customer Success", "Sales")),
    _i(SCHEDULED, "fr", "Relay Analytics est disponible en français",
       "https://www.acme.example/fr/produits/relay-analytics",
       "Tableaux de bord, exports et alertes : Relay Analytics parle désormais français.",
       ["Product news"],
       linkedin="Relay Analytics parle désormais français ! Tableaux de bord, exports et "
                "alertes, pour toutes nos équipes et tous nos clients francophones.",
       x="Relay Analytics est désormais disponible en français.",
       hashtags="RelayAnalytics", target_languages=("fr",)),
    _i(SCHEDULED, "en", "Zero-downtime PostgreSQL upgrades: our playbook",
       "https://engineering.acme.example/blog/zero-downtime-postgresql-upgrades",
       "Logical replication, dual writes and a fifteen-second cut-over: how we upgrade major "
       "versions.",
       ["Engineering"],
       linkedin="Upgrading PostgreSQL across major versions without downtime: our platform "
                "team shares the playbook they use every year.",
       x="How we upgrade PostgreSQL major versions with zero downtime:",
       hashtags="PostgreSQL Engineering", groups=("Engineering",)),
    # --- expired ------------------------------------------------------------------------------
    _i(EXPIRED, "en", "Live demo: Relay Analytics preview",
       "https://events.acme.example/webinars/relay-analytics-preview",
       "A first look at Relay Analytics with the product team, before the launch.",
       ["Events", "Product news"],
       linkedin="Want a first look at Relay Analytics? Join our product team for a live "
                "preview and Q&A.",
       x="First look at Relay Analytics: live preview with the product team.",
       hashtags="RelayAnalytics Webinar"),
    _i(EXPIRED, "fr", "Portes ouvertes au bureau de Paris",
       "https://events.acme.example/fr/portes-ouvertes-paris",
       "Rencontrez les équipes, découvrez nos métiers et nos postes ouverts.",
       ["Events", "Careers"],
       linkedin="Venez découvrir nos métiers ! Journée portes ouvertes au bureau de Paris, "
                "avec nos équipes et nos recruteurs.",
       x="Portes ouvertes chez Acme Paris : rencontrez nos équipes.",
       hashtags="Recrutement Paris", groups=("Paris",)),
    _i(EXPIRED, "en", "Summer hackathon: meet the winning teams",
       "https://blog.acme.example/summer-hackathon-2026",
       "48 hours, 31 teams, and three projects heading to the roadmap.",
       ["Engineering", "Company culture"],
       linkedin="48 hours, 31 teams and three projects already on the roadmap. Meet the "
                "winners of our summer hackathon!",
       x="31 teams, 48 hours, 3 projects on the roadmap: our summer hackathon winners.",
       hashtags="Hackathon LifeAtAcme"),
    _i(EXPIRED, "en", "Acme Q2 2026 results",
       "https://investors.acme.example/results/q2-2026",
       "Second-quarter revenue grew 21% year on year.",
       ["Product news"],
       linkedin="Acme reports second-quarter 2026 revenue up 21% year on year. The full "
                "results are on our investor site.",
       x="Acme Q2 2026: revenue up 21% year on year.",
       hashtags="AcmeResults", disclaimer=RESULTS_DISCLAIMER_EN, text_locked=True,
       target_languages=("en",)),
    # --- drafts -------------------------------------------------------------------------------
    _i(DRAFT, "en", "Partner programme: new tiers and benefits",
       "https://www.acme.example/partners/programme-2027",
       "Three partner tiers, co-marketing funds and a certification path.",
       ["Product news"],
       linkedin="Our partner programme is changing: three tiers, co-marketing funds and a "
                "certification path.",
       curator_notes="Waiting for the partner team's final numbers."),
    _i(DRAFT, "fr", "Guide : réussir l'onboarding de vos clients B2B",
       "https://blog.acme.example/fr/guide-onboarding-clients-b2b",
       "Les sept étapes d'un onboarding client réussi, avec des modèles à télécharger.",
       ["Industry insights"]),
    _i(DRAFT, "en", "Welcome to our new Chief Customer Officer",
       "https://news.acme.example/press/new-chief-customer-officer",
       "Twenty years in customer success, joining Acme's leadership team next month.",
       ["Company culture"],
       curator_notes="Embargoed until the official announcement."),
    # --- in review ----------------------------------------------------------------------------
    _i(REVIEW, "en", "Umbrella Health automates partner onboarding",
       "https://www.acme.example/customers/umbrella-health",
       "How Umbrella Health onboards 200 clinics a month with half the manual work.",
       ["Customer stories"],
       linkedin="200 clinics onboarded a month, with half the manual work: Umbrella Health's "
                "operations team tells the story.",
       x="Umbrella Health onboards 200 clinics a month with half the manual work.",
       hashtags="HealthTech CustomerStory"),
    _i(REVIEW, "fr", "Acme signe la charte du numérique responsable",
       "https://www.acme.example/fr/engagements/charte-numerique-responsable",
       "Écoconception, accessibilité et sobriété : nos engagements concrets.",
       ["Sustainability"],
       linkedin="Acme signe la charte du numérique responsable. Écoconception, accessibilité "
                "et sobriété : voici nos engagements concrets.",
       x="Acme signe la charte du numérique responsable : nos engagements.",
       hashtags="NumériqueResponsable RSE"),
]

SOURCES = [
    ("Acme blog", "https://blog.acme.example/feed.xml", "en"),
    ("Acme newsroom", "https://news.acme.example/rss", "en"),
    ("Acme France – actualités", "https://www.acme.example/fr/actualites/feed.xml", "fr"),
]

#: (source index, url, title, summary)
INBOX = [
    (0, "https://blog.acme.example/customer-success-metrics-that-matter",
     "Seven customer success metrics that actually predict renewals",
     "Health scores are not enough: the leading indicators our CS team watches every week."),
    (0, "https://blog.acme.example/life-at-acme/london-office-move",
     "Our London team moves to Shoreditch",
     "More space, more light, and a studio for customer webinars."),
    (0, "https://blog.acme.example/writing-release-notes-people-read",
     "Writing release notes people actually read",
     "Lessons from two years of weekly release notes."),
    (0, "https://blog.acme.example/mentoring-programme-first-year",
     "One year of our mentoring programme",
     "120 pairs, 14 promotions and what we'd change next time."),
    (0, "https://blog.acme.example/api-rate-limits-explained",
     "API rate limits, explained for customers",
     "Why limits exist, how to read the headers and how to batch your calls."),
    (1, "https://news.acme.example/press/acme-opens-montreal-office",
     "Acme opens its first North American office in Montréal",
     "Forty roles in sales, support and engineering over the next two years."),
    (1, "https://news.acme.example/press/iso-27001-renewal",
     "Acme renews its ISO 27001 certification",
     "The yearly audit confirms our information security management system."),
    (1, "https://news.acme.example/press/partnership-contoso-crm",
     "Acme and Contoso CRM announce a native integration",
     "Share approved content right from the CRM record."),
    (1, "https://news.acme.example/press/women-in-tech-scholarship",
     "Acme funds 20 Women in Tech scholarships",
     "A partnership with three engineering schools in France and Germany."),
    (2, "https://www.acme.example/fr/actualites/trophees-relation-client",
     "Acme lauréat des Trophées de la relation client",
     "Le jury a salué notre programme d'accompagnement des nouveaux clients."),
    (2, "https://www.acme.example/fr/actualites/alternance-2027",
     "Alternance 2027 : 25 postes ouverts",
     "Marketing, développement, data : nos offres pour la rentrée."),
    (2, "https://www.acme.example/fr/actualites/atelier-ecoconception",
     "Atelier écoconception avec nos clients",
     "Retour sur une matinée d'échanges autour d'un produit plus sobre."),
]

#: (demo employee email or None for a French-speaking employee, url, title, summary, comment)
SUGGESTIONS = [
    (f"employee@{DOMAIN}", "https://blog.acme.example/customer-success-playbook",
     "The customer success playbook, free to download",
     "Our CS team's onboarding and renewal playbook, with templates.",
     "Three prospects asked me for exactly this in demos this week."),
    (None, "https://www.acme.example/fr/clients/transports-morel",
     "Témoignage : les Transports Morel et leurs ambassadeurs",
     "Comment un transporteur régional a fait de ses chauffeurs des ambassadeurs.",
     "Le client est ravi et m'a demandé de le partager, c'est un très bon exemple local."),
]


def _check_texts(item: ContentItem) -> None:
    """Every suggested text fits its network with the real link, hashtags and disclaimer."""
    for text in item.texts:
        full = compose(text.network, text.text, link=item.url, hashtags=item.hashtags,
                       disclaimer=item.disclaimer)
        limit = NETWORKS[text.network].limit
        if count(text.network, full) > limit:
            raise RuntimeError(f"demo item {item.title!r}: {text.network} text is "
                               f"{count(text.network, full)} > {limit} characters")


def _redate(db: Session, item: ContentItem, created: datetime, *, moved: datetime | None = None,
            published: datetime | None = None, expired: datetime | None = None) -> None:
    """Move the item and its lifecycle events back to when they "happened"."""
    item.created_at = created
    item.updated_at = expired or published or moved or created
    if published is not None:
        item.published_at = published
    times = {"created": created, "submit": moved or created, "approve": published or moved,
             "publish": published or moved, "expire": expired}
    for event in db.scalars(select(ContentEvent).where(ContentEvent.item_id == item.id)):
        if times.get(event.action) is not None:
            event.at = times[event.action]


@demo_seeder
def seed_content(db: Session, rng: random.Random) -> None:
    now = utcnow()
    curator = db.scalar(select(User).where(User.email == f"curator@{DOMAIN}"))
    actor = Actor(user_id=curator.id, user_agent="seed-demo")
    topics = {t.name: t.id for t in db.scalars(select(Topic))}
    groups = {g.name: g.id for g in db.scalars(select(Group))}

    _seed_sources(db, rng, actor, now)

    published = [d for d in ITEMS if d.state == PUBLISHED]
    # spread over the last 20 days; the launch (first) is the newest, the rest shuffled
    ages = [20 * (i + rng.uniform(0.1, 0.9)) / len(published) for i in range(len(published))]
    rest = ages[1:]
    rng.shuffle(rest)
    age_of = {id(d): timedelta(days=age)
              for d, age in zip(published, [ages[0], *rest], strict=True)}
    scheduled_day = 0
    for demo in ITEMS:
        texts = {"linkedin": demo.linkedin, "x": demo.x,
                 "facebook": demo.facebook or demo.linkedin}
        data = services.ItemInput(
            url=demo.url, title=demo.title, summary=demo.summary, language=demo.language,
            topic_ids=[topics[t] for t in demo.topics],
            group_ids=[groups[g] for g in demo.groups],
            target_languages=demo.target_languages,
            texts={k: v for k, v in texts.items() if v}, hashtags=demo.hashtags,
            disclaimer=demo.disclaimer, text_locked=demo.text_locked, priority=demo.priority,
            featured=demo.featured, curator_notes=demo.curator_notes)
        if demo.state == SCHEDULED:
            scheduled_day += 1
            data.publish_at = (now + timedelta(days=scheduled_day)).replace(
                hour=rng.choice([7, 8, 12, 15]), minute=0, second=0, microsecond=0)
        item = services.create_item(db, actor, data)
        _check_texts(item)
        if demo.state == PUBLISHED:
            services.publish(db, actor, curator, item)
            when = now - age_of[id(demo)]
            if demo.expires_in_days:
                item.expire_at = now + timedelta(days=demo.expires_in_days)
            _redate(db, item, when - timedelta(hours=rng.uniform(1, 30)), published=when)
        elif demo.state == SCHEDULED:
            services.publish(db, actor, curator, item)
            _redate(db, item, now - timedelta(hours=rng.uniform(2, 48)),
                    moved=now - timedelta(hours=rng.uniform(0.5, 2)))
        elif demo.state == EXPIRED:
            services.publish(db, actor, curator, item)
            when = now - timedelta(days=rng.uniform(24, 45))
            item.expire_at = when + timedelta(days=rng.randint(7, 14))
            services.expire(db, None, item)  # as the expiry job does
            _redate(db, item, when - timedelta(hours=rng.uniform(1, 30)), published=when,
                    expired=item.expire_at)
        elif demo.state == REVIEW:
            services.submit_for_review(db, actor, item)
            created = now - timedelta(days=rng.uniform(1, 4))
            _redate(db, item, created, moved=created + timedelta(hours=rng.uniform(1, 6)))
        else:
            _redate(db, item, now - timedelta(days=rng.uniform(0.5, 6)))

    _seed_suggestions(db, rng, now)
    db.flush()


def _seed_sources(db: Session, rng: random.Random, actor: Actor, now: datetime) -> None:
    sources = []
    for name, url, language in SOURCES:
        source = feeds.create_source(db, actor, name=name, url=url, language=language)
        source.created_at = now - timedelta(days=rng.randint(30, 90))
        source.active, source.last_status = True, ""  # never polled: nothing is fetched
        sources.append(source)
    for index, url, title, summary in INBOX:
        published = now - timedelta(days=rng.uniform(0.2, 7))
        db.add(InboxEntry(source_id=sources[index].id, url=url, title=title, summary=summary,
                          image_url="", entry_published_at=published,
                          fetched_at=published + timedelta(minutes=rng.randint(5, 55)),
                          status=InboxStatus.NEW))
    db.flush()


def _seed_suggestions(db: Session, rng: random.Random, now: datetime) -> None:
    for email, url, title, summary, comment in SUGGESTIONS:
        if email:
            user = db.scalar(select(User).where(User.email == email))
        else:  # the first French-speaking employee (deterministic: by id)
            user = db.scalar(select(User).where(
                User.role == Role.EMPLOYEE, User.status == UserStatus.ACTIVE,
                User.language == "fr", User.email != f"employee@{DOMAIN}")
                .order_by(User.id).limit(1))
        item = services.suggest(db, Actor(user_id=user.id, user_agent="seed-demo"), user,
                                url=url, title=title, comment=comment, summary=summary)
        created = now - timedelta(hours=rng.uniform(3, 40))
        _redate(db, item, created, moved=created)

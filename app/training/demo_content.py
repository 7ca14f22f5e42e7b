"""The demo courses' text: "Sharing on social media as a Relais ambassador" in English and
French (5 lessons, a 10-question quiz), and a short onboarding course for the
Ambassadors Council. Real content: the demo is also a starting point for customers."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.training.models import QuestionKind

S, M = QuestionKind.SINGLE, QuestionKind.MULTIPLE


@dataclass(frozen=True)
class DemoLesson:
    title: str
    body: str
    video: str = ""


@dataclass(frozen=True)
class DemoQuestion:
    kind: QuestionKind
    text: str
    choices: tuple[tuple[str, bool], ...]
    explanation: str


@dataclass(frozen=True)
class DemoCourse:
    slug: str
    language: str
    title: str
    summary: str
    minutes: int
    lessons: tuple[DemoLesson, ...]
    questions: tuple[DemoQuestion, ...] = field(default_factory=tuple)


# --- Sharing on social media as a Relais ambassador (English) --------------------------------

AMBASSADOR_EN = DemoCourse(
    slug="ambassador-en", language="en",
    title="Sharing on social media as a Relais ambassador",
    summary="Why your voice matters, what our policy asks of you, how to stay authentic and "
            "transparent, what never to share, and how to see the difference you make. "
            "Five short lessons and a 10-question quiz.",
    minutes=25,
    lessons=(
        DemoLesson("Why employee advocacy matters", """\
When Acme publishes a post, it reaches the people who already follow Acme. When *you*
share it, it reaches the people who follow **you**: former colleagues, customers you have
met, friends in the industry. Those people were never going to read the company page.

Three things make your share different from the company's:

- **Reach.** Employees' networks are, taken together, many times larger than the
  company's own audience, and they overlap very little with it.
- **Trust.** People trust a person they know more than a brand. A short sentence in your
  own words ("I worked on this feature for months") is read; a corporate announcement is
  scrolled past.
- **Context.** You know who in your network cares about what. A customer story shared by
  the account manager who lived it says more than the same story on the company page.

### Impact, not vanity

Relais does not count how often you share; it measures what happens next: the clicks
on your personal tracked link, the people who sign up or get in touch, the reach of your
networks. One thoughtful share that brings a customer matters more than ten that nobody
opens. That is why your queue is short and ranked for you, and why nobody is ever asked
to share everything.

### Nobody has to share

Advocacy is voluntary. You choose what you find worth sharing, you edit the text so it
sounds like you, and you can say "not for me" to anything in your queue. A programme
where people share because they want to is the only kind that works: audiences notice
the difference immediately.
"""),
        DemoLesson("Our social-media policy in practice", """\
Our social-media policy is short on purpose. Here is what it means day to day.

## Be yourself

- Share what **you** find worth sharing. If an item does not speak to you, skip it.
- Rewrite the suggested text. The suggestion is a starting point, not a script.
- Some items are marked **text locked**: regulated announcements (financial results,
  legal notices) must be shared exactly as written. Relais shows them read-only.

## Be transparent

- When you share company content, make it clear that you work for Acme. Relais adds the
  required disclaimer or hashtag automatically when an item needs one.
- Never pretend to be a customer, an independent reviewer or a neutral observer.

## Protect people and information

- Never share confidential figures, unreleased products, customer names that have not
  been approved for publication, or anything about colleagues without their consent.
- Screenshots of internal tools, chats or dashboards are internal by default.

## Be respectful

- No insults, no harassment, no piling on. Do not debate politics or religion in the
  company's name.
- When a post attracts criticism, do not argue on Acme's behalf: thank the person, and
  pass it to the communications team, who will answer.

## When in doubt, ask

The communications team would much rather answer a question before you post than
clean up afterwards. Ask them; there is no such thing as a silly question here.

You accepted the policy when you joined Relais. This course checks that its rules are
clear; the quiz at the end asks about situations, not about wording.
"""),
        DemoLesson("Authenticity and disclosure", """\
Audiences — and regulators — expect to know when someone speaks about their own
employer. Disclosure protects your credibility and the company's.

### Say that you work here

In many countries, consumer-protection rules (for example the US FTC's endorsement
guides or the EU's unfair commercial practices rules) require a "material connection"
with a brand to be disclosed when you promote it. Being employed is such a connection.
Simple ways to disclose:

- "I work at Acme, and I'm proud of this launch."
- A hashtag such as **#AcmeEmployee** or **#IWorkAtAcme**.
- Your profile's job title is **not enough** on its own: many readers never open it.

Relais appends the disclaimer or hashtags that an item requires; keep them when you edit
the text.

### Your words, your view

Authentic does not mean enthusiastic about everything. Say why *you* find something
interesting. Add a detail from your own work. If you are not convinced by an item,
do not share it: a forced share reads as forced.

### Points are not payment

Relais awards points and badges for sharing and for the results of your shares. They
are recognition, not a payment for posting, and they never depend on saying something
positive. If your company ever offered a reward of real value for shares, that reward
would have to be disclosed too — ask the communications team.

### Your accounts stay yours

Relais never posts in your name without you. When you connect an account, you still
choose each post, its text and its timing, and you can disconnect at any time.
"""),
        DemoLesson("What not to share", """\
Most mistakes on social media are not malicious; they come from sharing too fast. Before
you post, take five seconds and check this list.

**Never share:**

1. **Confidential information**: revenue or figures not yet published, pricing
   negotiations, roadmaps, unreleased products, security incidents.
2. **Customer information**: a customer's name or logo unless the story is already
   public or the customer approved it; never anything from a support ticket.
3. **Colleagues' personal data**: photos of people who did not agree, badges, desks with
   documents on them, screens in the background.
4. **Internal material**: screenshots of chats, dashboards, internal tools or emails.
5. **Anything that speaks for the company** on a topic you are not the spokesperson for:
   legal disputes, rumours, market-moving news, crises.

**Be careful with:**

- **Photos from the office or events.** Check the background: whiteboards and screens
  are the classic leak.
- **Location and travel.** "Flying to Berlin to close the big deal" tells competitors
  more than you think.
- **Replies and comments.** A reply is a post too. Stay polite and factual, and hand
  complaints to the communications team.

### If something goes wrong

Delete the post if it contains confidential or personal information, then tell the
communications team straight away. Early is always better: they can help limit the
damage, and nobody will be blamed for reporting a mistake quickly.

### Regulated moments

Around financial results or major announcements, a **quiet period** may apply: share
only the official posts that Relais marks as locked, word for word, at the time they are
published.
"""),
        DemoLesson("Measuring your impact", """\
Every share you make from Relais gets **its own tracked link** (for example
`https://relais.acme.example/r/Xk3…`). When someone clicks it, Relais counts the click,
adds campaign tags so our analytics know where the visit came from, and sends the visitor
to the article.

### What counts

- **Unique clicks**: the first click of each visitor on your link. Repeated clicks,
  your own clicks, and link-preview robots (the bots that build the preview card when
  you paste a link) do not count.
- **Conversions**: when a visitor from your link signs up, asks for a demo or applies to
  a job, our CRM reports it and Relais attributes it to your share.
- **Reach**: the number of followers of the account you shared from, recorded when you
  share. Keep your follower counts up to date in *Social accounts*.

Shares themselves count too, but a share nobody clicks is worth far less than one that
brings a visitor, and a conversion is worth the most.

### Where to see it

- **My shares** lists each share with its link, clicks and conversions.
- Points, badges and levels reflect the same events: each event pays once, and points
  come only from stored, verifiable events.
- Leaderboards compare periods (week, month, quarter) and teams; you can opt out of
  appearing on them at any time.

### Getting better results

Post when your network is online (weekday mornings work well on LinkedIn), add one
sentence of your own, and pick items that match your topics: your queue already ranks
them for you. Quality beats volume, every time.
"""),
    ),
    questions=(
        DemoQuestion(S, "Why does a share by an employee usually reach people the company "
                        "page does not?",
                     (("Employees' networks are mostly different people from the company's "
                       "followers", True),
                      ("Social networks show employee posts first", False),
                      ("Employee posts are sponsored automatically", False),
                      ("It does not: it reaches the same people", False)),
                     "Your followers — former colleagues, customers, friends in the "
                     "industry — overlap very little with the company page's audience."),
        DemoQuestion(S, "An item in your queue does not interest you. What should you do?",
                     (("Share it anyway: sharing everything earns the most points", False),
                      ("Skip it or choose “Not for me”", True),
                      ("Share it without any text", False),
                      ("Ask a colleague to share it for you", False)),
                     "Advocacy is voluntary. Nobody has to share, and a forced share reads "
                     "as forced."),
        DemoQuestion(S, "An item is marked “text locked”. What does it mean?",
                     (("You may not share it", False),
                      ("You must share it exactly as written (e.g. a regulated "
                       "announcement)", True),
                      ("Only managers can share it", False),
                      ("You must add your own text before sharing", False)),
                     "Locked texts are used for regulated announcements such as financial "
                     "results: they are shared word for word."),
        DemoQuestion(M, "Which of these are acceptable ways to disclose that you work at "
                        "Acme? (Tick all that apply.)",
                     (("“I work at Acme, and I'm proud of this launch.”", True),
                      ("Adding #AcmeEmployee to the post", True),
                      ("Relying on the job title in your profile", False),
                      ("Keeping the disclaimer Relais appends to the item", True)),
                     "Disclosure must be visible in the post itself; a job title on your "
                     "profile is not enough because most readers never open it."),
        DemoQuestion(M, "Which of these must you never share? (Tick all that apply.)",
                     (("Quarterly revenue figures before they are published", True),
                      ("A customer's name from a support ticket", True),
                      ("The public blog post about our new office", False),
                      ("A photo of a whiteboard with next year's roadmap", True)),
                     "Unpublished figures, customer information and internal material "
                     "(whiteboards, screens, chats) are confidential; published content is "
                     "fine to share."),
        DemoQuestion(S, "Someone criticises Acme in the comments under your post. What is "
                        "the best reaction?",
                     (("Argue back firmly to defend the company", False),
                      ("Delete your post and say nothing", False),
                      ("Thank them politely and pass it to the communications team", True),
                      ("Reply with internal facts that prove them wrong", False)),
                     "You do not speak for the company on complaints; the communications "
                     "team answers, and internal facts stay internal."),
        DemoQuestion(S, "You posted a photo and notice a confidential screen in the "
                        "background. What now?",
                     (("Leave it: few people will notice", False),
                      ("Delete the post and tell the communications team straight away",
                       True),
                      ("Edit the caption to say the screen is fake", False),
                      ("Wait to see whether anyone comments", False)),
                     "Remove confidential information at once and report it early: the "
                     "team can limit the damage, and nobody is blamed for reporting "
                     "quickly."),
        DemoQuestion(M, "Which clicks on your tracked link count as unique clicks? (Tick "
                        "all that apply.)",
                     (("The first click of a visitor", True),
                      ("The same visitor clicking a second time", False),
                      ("Your own clicks on your link", False),
                      ("A link-preview robot fetching the page", False)),
                     "Only a visitor's first human click counts: repeats, self-clicks and "
                     "robots are filtered out."),
        DemoQuestion(S, "What does Relais record as the reach of a share?",
                     (("The number of likes after a week", False),
                      ("The followers of the account you shared from, when you shared",
                       True),
                      ("The number of people in your company", False),
                      ("The number of times the item was shared by everyone", False)),
                     "Reach is a snapshot of your follower count at the moment of the "
                     "share; keep your social accounts up to date."),
        DemoQuestion(S, "During a quiet period before financial results, what may you "
                        "share?",
                     (("Anything, as long as it is positive", False),
                      ("Your personal estimate of the results", False),
                      ("Only the official locked posts, as published", True),
                      ("Nothing at all, ever", False)),
                     "In a quiet period only the official posts — locked, word for word — "
                     "are shared, at the time they are published."),
    ),
)


# --- Partager sur les réseaux sociaux en ambassadeur Relais (French) ------------------------

AMBASSADOR_FR = DemoCourse(
    slug="ambassador-fr", language="fr",
    title="Partager sur les réseaux sociaux en ambassadeur Relais",
    summary="Pourquoi votre voix compte, ce que la charte vous demande, comment rester "
            "authentique et transparent, ce qu'il ne faut jamais partager, et comment voir "
            "l'effet de vos partages. Cinq leçons courtes et un quiz de 10 questions.",
    minutes=25,
    lessons=(
        DemoLesson("Pourquoi l'employee advocacy compte", """\
Quand Acme publie un post, il atteint les personnes qui suivent déjà Acme. Quand *vous*
le partagez, il atteint les personnes qui vous suivent, **vous** : anciens collègues,
clients rencontrés, amis du secteur. Ces personnes n'auraient jamais lu la page de
l'entreprise.

Trois choses distinguent votre partage de celui de l'entreprise :

- **La portée.** Ensemble, les réseaux des collaborateurs sont bien plus grands que
  l'audience de l'entreprise, et ils la recoupent très peu.
- **La confiance.** On fait davantage confiance à une personne qu'on connaît qu'à une
  marque. Une phrase à vous (« J'ai travaillé des mois sur cette fonctionnalité ») est
  lue ; une annonce institutionnelle est survolée.
- **Le contexte.** Vous savez qui, dans votre réseau, s'intéresse à quoi. Un témoignage
  client partagé par le chargé de compte qui l'a vécu en dit plus que la même histoire
  sur la page de l'entreprise.

### L'impact, pas la vanité

Relais ne compte pas combien de fois vous partagez ; il mesure ce qui se passe ensuite :
les clics sur votre lien suivi personnel, les personnes qui s'inscrivent ou prennent
contact, la portée de vos réseaux. Un partage réfléchi qui amène un client compte plus
que dix que personne n'ouvre. C'est pourquoi votre file est courte et classée pour
vous, et pourquoi on ne vous demande jamais de tout partager.

### Personne n'est obligé de partager

L'advocacy est volontaire. Vous choisissez ce qui vaut la peine d'être partagé, vous
modifiez le texte pour qu'il vous ressemble, et vous pouvez répondre « Pas pour moi » à
n'importe quel contenu. Seul un programme où l'on partage par envie fonctionne : les
audiences voient tout de suite la différence.
"""),
        DemoLesson("La charte des réseaux sociaux au quotidien", """\
Notre charte des réseaux sociaux est courte, exprès. Voici ce qu'elle signifie au
quotidien.

## Soyez vous-même

- Partagez ce que **vous** trouvez intéressant. Si un contenu ne vous parle pas,
  passez-le.
- Réécrivez le texte proposé : c'est un point de départ, pas un script.
- Certains contenus sont marqués **texte verrouillé** : les annonces réglementées
  (résultats financiers, mentions légales) se partagent exactement telles quelles.
  Relais les affiche en lecture seule.

## Soyez transparent

- Quand vous partagez un contenu de l'entreprise, indiquez clairement que vous
  travaillez chez Acme. Relais ajoute automatiquement la mention ou le hashtag requis
  quand un contenu en a besoin.
- Ne vous faites jamais passer pour un client, un testeur indépendant ou un observateur
  neutre.

## Protégez les personnes et les informations

- Ne partagez jamais de chiffres confidentiels, de produits non annoncés, de noms de
  clients non validés pour publication, ni rien sur un collègue sans son accord.
- Les captures d'écran d'outils internes, de discussions ou de tableaux de bord sont
  internes par défaut.

## Soyez respectueux

- Pas d'insultes, pas de harcèlement, pas d'acharnement. Pas de débat politique ou
  religieux au nom de l'entreprise.
- Quand un post suscite des critiques, ne débattez pas au nom d'Acme : remerciez la
  personne et transmettez à l'équipe communication, qui répondra.

## Dans le doute, demandez

L'équipe communication préfère de loin répondre à une question avant la publication que
réparer après. Demandez-lui : ici, aucune question n'est bête.

Vous avez accepté la charte en rejoignant Relais. Ce cours vérifie que ses règles sont
claires ; le quiz porte sur des situations, pas sur la formulation.
"""),
        DemoLesson("Authenticité et transparence", """\
Les audiences — et les autorités — veulent savoir quand quelqu'un parle de son propre
employeur. La transparence protège votre crédibilité et celle de l'entreprise.

### Dites que vous travaillez ici

Dans de nombreux pays, le droit de la consommation (par exemple les règles européennes
sur les pratiques commerciales déloyales, ou les lignes directrices de la FTC aux
États-Unis) impose de signaler un « lien » avec une marque dont on fait la promotion.
Être salarié est un tel lien. Des façons simples de le signaler :

- « Je travaille chez Acme, et je suis fier de ce lancement. »
- Un hashtag comme **#CollaborateurAcme** ou **#JeTravailleChezAcme**.
- L'intitulé de poste de votre profil **ne suffit pas** : la plupart des lecteurs ne
  l'ouvrent jamais.

Relais ajoute la mention ou les hashtags qu'un contenu exige ; gardez-les quand vous
modifiez le texte.

### Vos mots, votre regard

Authentique ne veut pas dire enthousiaste sur tout. Dites pourquoi *vous* trouvez le
sujet intéressant, ajoutez un détail de votre travail. Si un contenu ne vous convainc
pas, ne le partagez pas : un partage forcé se voit.

### Les points ne sont pas une rémunération

Relais attribue des points et des badges pour vos partages et leurs résultats. C'est une
reconnaissance, pas un paiement pour publier, et cela ne dépend jamais d'un avis
positif. Si l'entreprise offrait un jour une récompense de valeur réelle pour des
partages, il faudrait aussi la signaler : demandez à l'équipe communication.

### Vos comptes restent les vôtres

Relais ne publie jamais en votre nom sans vous. Quand vous connectez un compte, vous
choisissez toujours chaque publication, son texte et son moment, et vous pouvez le
déconnecter à tout moment.
"""),
        DemoLesson("Ce qu'il ne faut pas partager", """\
La plupart des erreurs sur les réseaux sociaux ne sont pas malveillantes : elles
viennent d'un partage trop rapide. Avant de publier, prenez cinq secondes pour vérifier
cette liste.

**Ne partagez jamais :**

1. **Des informations confidentielles** : chiffre d'affaires ou chiffres non publiés,
   négociations tarifaires, feuilles de route, produits non annoncés, incidents de
   sécurité.
2. **Des informations clients** : le nom ou le logo d'un client, sauf si l'histoire est
   déjà publique ou validée par lui ; jamais rien qui vienne d'un ticket de support.
3. **Des données personnelles de collègues** : photos de personnes qui n'ont pas donné
   leur accord, badges, bureaux avec des documents, écrans en arrière-plan.
4. **Des documents internes** : captures de discussions, de tableaux de bord, d'outils
   internes ou d'e-mails.
5. **Tout ce qui engage l'entreprise** sur un sujet dont vous n'êtes pas le
   porte-parole : litiges, rumeurs, informations sensibles pour la bourse, crises.

**Faites attention :**

- **Aux photos du bureau ou d'événements.** Regardez l'arrière-plan : tableaux blancs
  et écrans sont la fuite classique.
- **Aux lieux et aux déplacements.** « En route pour Berlin signer le gros contrat » en
  dit plus aux concurrents que vous ne le pensez.
- **Aux réponses et commentaires.** Une réponse est aussi une publication. Restez poli
  et factuel, et transmettez les réclamations à l'équipe communication.

### Si quelque chose tourne mal

Supprimez la publication si elle contient une information confidentielle ou
personnelle, puis prévenez tout de suite l'équipe communication. Plus c'est tôt, mieux
c'est : elle peut limiter les dégâts, et personne ne sera blâmé pour avoir signalé vite
une erreur.

### Les moments réglementés

Autour des résultats financiers ou de grandes annonces, une **période de silence** peut
s'appliquer : ne partagez que les publications officielles que Relais marque comme
verrouillées, mot pour mot, au moment de leur publication.
"""),
        DemoLesson("Mesurer votre impact", """\
Chaque partage fait depuis Relais reçoit **son propre lien suivi** (par exemple
`https://relais.acme.example/r/Xk3…`). Quand quelqu'un clique, Relais compte le clic,
ajoute des balises de campagne pour que nos statistiques sachent d'où vient la visite,
et envoie le visiteur vers l'article.

### Ce qui compte

- **Les clics uniques** : le premier clic de chaque visiteur sur votre lien. Les clics
  répétés, vos propres clics et les robots d'aperçu de lien (ceux qui fabriquent la
  carte d'aperçu quand vous collez un lien) ne comptent pas.
- **Les conversions** : quand un visiteur venu de votre lien s'inscrit, demande une
  démo ou postule à une offre, notre CRM le signale et Relais l'attribue à votre
  partage.
- **La portée** : le nombre d'abonnés du compte depuis lequel vous avez partagé,
  enregistré au moment du partage. Tenez vos nombres d'abonnés à jour dans *Comptes
  sociaux*.

Les partages comptent aussi, mais un partage que personne n'ouvre vaut bien moins qu'un
partage qui amène un visiteur, et une conversion vaut le plus.

### Où le voir

- **Mes partages** liste chaque partage avec son lien, ses clics et ses conversions.
- Points, badges et niveaux reflètent les mêmes événements : chaque événement ne paie
  qu'une fois, et les points ne viennent que d'événements enregistrés et vérifiables.
- Les classements comparent des périodes (semaine, mois, trimestre) et des équipes ;
  vous pouvez choisir à tout moment de ne pas y apparaître.

### De meilleurs résultats

Publiez quand votre réseau est en ligne (les matinées de semaine marchent bien sur
LinkedIn), ajoutez une phrase à vous, et choisissez des contenus proches de vos sujets :
votre file les classe déjà pour vous. La qualité l'emporte sur le volume, toujours.
"""),
    ),
    questions=(
        DemoQuestion(S, "Pourquoi le partage d'un collaborateur atteint-il en général des "
                        "personnes que la page de l'entreprise n'atteint pas ?",
                     (("Les réseaux des collaborateurs sont surtout composés d'autres "
                       "personnes que les abonnés de l'entreprise", True),
                      ("Les réseaux sociaux affichent d'abord les posts des salariés", False),
                      ("Les posts des salariés sont sponsorisés automatiquement", False),
                      ("Ce n'est pas le cas : il atteint les mêmes personnes", False)),
                     "Vos abonnés — anciens collègues, clients, amis du secteur — "
                     "recoupent très peu l'audience de la page de l'entreprise."),
        DemoQuestion(S, "Un contenu de votre file ne vous intéresse pas. Que faire ?",
                     (("Le partager quand même : tout partager rapporte le plus de points",
                       False),
                      ("Le passer ou choisir « Pas pour moi »", True),
                      ("Le partager sans texte", False),
                      ("Demander à un collègue de le partager pour vous", False)),
                     "L'advocacy est volontaire : personne n'est obligé de partager, et un "
                     "partage forcé se voit."),
        DemoQuestion(S, "Un contenu est marqué « texte verrouillé ». Qu'est-ce que cela "
                        "signifie ?",
                     (("Vous ne pouvez pas le partager", False),
                      ("Vous devez le partager exactement tel quel (par exemple une annonce "
                       "réglementée)", True),
                      ("Seuls les managers peuvent le partager", False),
                      ("Vous devez ajouter votre propre texte avant de partager", False)),
                     "Les textes verrouillés servent aux annonces réglementées comme les "
                     "résultats financiers : ils se partagent mot pour mot."),
        DemoQuestion(M, "Lesquelles de ces façons de signaler que vous travaillez chez Acme "
                        "sont acceptables ? (Cochez toutes les bonnes réponses.)",
                     (("« Je travaille chez Acme, et je suis fier de ce lancement. »", True),
                      ("Ajouter #CollaborateurAcme à la publication", True),
                      ("Compter sur l'intitulé de poste de votre profil", False),
                      ("Garder la mention que Relais ajoute au contenu", True)),
                     "La mention doit être visible dans la publication elle-même ; "
                     "l'intitulé de poste ne suffit pas, car la plupart des lecteurs "
                     "n'ouvrent jamais le profil."),
        DemoQuestion(M, "Que ne devez-vous jamais partager ? (Cochez toutes les bonnes "
                        "réponses.)",
                     (("Le chiffre d'affaires du trimestre avant sa publication", True),
                      ("Le nom d'un client lu dans un ticket de support", True),
                      ("L'article de blog public sur nos nouveaux bureaux", False),
                      ("La photo d'un tableau blanc avec la feuille de route de l'an "
                       "prochain", True)),
                     "Les chiffres non publiés, les informations clients et les documents "
                     "internes (tableaux blancs, écrans, discussions) sont confidentiels ; "
                     "un contenu publié peut être partagé."),
        DemoQuestion(S, "Quelqu'un critique Acme en commentaire sous votre publication. "
                        "Quelle est la meilleure réaction ?",
                     (("Répondre fermement pour défendre l'entreprise", False),
                      ("Supprimer votre publication sans rien dire", False),
                      ("Remercier poliment et transmettre à l'équipe communication", True),
                      ("Répondre avec des informations internes qui lui donnent tort",
                       False)),
                     "Vous ne parlez pas au nom de l'entreprise sur les réclamations : "
                     "l'équipe communication répond, et les informations internes restent "
                     "internes."),
        DemoQuestion(S, "Vous avez publié une photo et remarquez un écran confidentiel en "
                        "arrière-plan. Que faire ?",
                     (("La laisser : peu de gens le remarqueront", False),
                      ("Supprimer la publication et prévenir tout de suite l'équipe "
                       "communication", True),
                      ("Modifier la légende pour dire que l'écran est factice", False),
                      ("Attendre de voir si quelqu'un commente", False)),
                     "Retirez tout de suite l'information confidentielle et signalez-le "
                     "tôt : l'équipe peut limiter les dégâts, et personne n'est blâmé pour "
                     "avoir signalé vite."),
        DemoQuestion(M, "Quels clics sur votre lien suivi comptent comme clics uniques ? "
                        "(Cochez toutes les bonnes réponses.)",
                     (("Le premier clic d'un visiteur", True),
                      ("Le même visiteur qui clique une deuxième fois", False),
                      ("Vos propres clics sur votre lien", False),
                      ("Un robot d'aperçu de lien qui récupère la page", False)),
                     "Seul le premier clic humain d'un visiteur compte : les répétitions, "
                     "vos propres clics et les robots sont écartés."),
        DemoQuestion(S, "Qu'est-ce que Relais enregistre comme portée d'un partage ?",
                     (("Le nombre de « j'aime » au bout d'une semaine", False),
                      ("Le nombre d'abonnés du compte depuis lequel vous avez partagé, au "
                       "moment du partage", True),
                      ("Le nombre de personnes dans votre entreprise", False),
                      ("Le nombre de fois où le contenu a été partagé par tous", False)),
                     "La portée est une photographie de votre nombre d'abonnés au moment "
                     "du partage ; tenez vos comptes sociaux à jour."),
        DemoQuestion(S, "Pendant une période de silence avant des résultats financiers, que "
                        "pouvez-vous partager ?",
                     (("N'importe quoi, tant que c'est positif", False),
                      ("Votre estimation personnelle des résultats", False),
                      ("Uniquement les publications officielles verrouillées, telles que "
                       "publiées", True),
                      ("Rien du tout, jamais", False)),
                     "En période de silence, seules les publications officielles — "
                     "verrouillées, mot pour mot — se partagent, au moment de leur "
                     "publication."),
    ),
)


# --- Ambassadors Council onboarding (English, the council's group, with a due date) ------

COUNCIL_EN = DemoCourse(
    slug="council-onboarding-en", language="en",
    title="Ambassadors Council onboarding",
    summary="What the Ambassadors Council does and the monthly rhythm its members follow. "
            "Two lessons and a short quiz.",
    minutes=10,
    lessons=(
        DemoLesson("What the council does", """\
The Ambassadors Council is a small group of volunteers from every department. Its
members are the first to try new content formats and the people colleagues ask when they
are unsure about a post.

**The council's three jobs:**

1. **Suggest content.** You see what customers and candidates talk about. Use *Suggest a
   link* whenever you find something worth sharing; accepted suggestions earn points and
   reach everyone's queue.
2. **Give feedback.** Tell the communications team which items worked in your network
   and which fell flat. Your feedback shapes the queue.
3. **Help colleagues.** Show a teammate how to connect an account, edit a suggested
   text, or read their impact page. Level 5 of the programme (*Leader*) recognises
   exactly this.
"""),
        DemoLesson("Your monthly rhythm", """\
Being on the council takes about an hour a month.

- **Weekly:** open your queue once or twice and share what speaks to you — two
  thoughtful shares beat ten hurried ones.
- **Monthly:** join the 30-minute council call (first Tuesday of the month). We look at
  what worked, the upcoming announcements, and your suggestions.
- **Quarterly:** review your impact page and tell us one thing that would make sharing
  easier.

There is no quota. If you are busy for a month, that is fine: tell the team, and come
back when you can.
"""),
    ),
    questions=(
        DemoQuestion(M, "Which of these are jobs of the Ambassadors Council? (Tick all that "
                        "apply.)",
                     (("Suggest content worth sharing", True),
                      ("Approve every post colleagues make", False),
                      ("Give feedback on what worked", True),
                      ("Help colleagues get started", True)),
                     "The council suggests, gives feedback and helps; it never approves "
                     "colleagues' posts."),
        DemoQuestion(S, "How often does the council meet?",
                     (("Every day", False), ("Once a month, for 30 minutes", True),
                      ("Once a year", False), ("Never", False)),
                     "The council call is monthly, on the first Tuesday, for 30 minutes."),
        DemoQuestion(S, "How many shares per week does the council require?",
                     (("At least ten", False), ("Exactly two", False),
                      ("None: there is no quota", True), ("One per item in the queue", False)),
                     "There is no quota: thoughtful shares beat hurried ones."),
        DemoQuestion(S, "What does level 5 (Leader) recognise?",
                     (("Sharing the most items", False), ("Helping and training others", True),
                      ("Having the most followers", False), ("Being a manager", False)),
                     "The top level recognises people who help others and co-create "
                     "content, not just volume."),
    ),
)

"""Where an employee can share, and the share-intent URL of each network's own composer."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_babel import lazy_gettext as _l

from app.content.networks import NETWORKS as TEXT_RULES


@dataclass(frozen=True)
class ShareNetwork:
    key: str
    #: shown to people (a lazy translation when it is not a brand name)
    label: str
    #: the key of app.content.networks.NETWORKS whose text and limit apply
    text_network: str | None
    limit: int | None


SHARE_NETWORKS: dict[str, ShareNetwork] = {
    "linkedin": ShareNetwork("linkedin", "LinkedIn", "linkedin", TEXT_RULES["linkedin"].limit),
    "x": ShareNetwork("x", "X", "x", TEXT_RULES["x"].limit),
    "facebook": ShareNetwork("facebook", "Facebook", "facebook", TEXT_RULES["facebook"].limit),
    "email": ShareNetwork("email", _l("E-mail"), "linkedin", None),
}


def intent_url(network: str, *, text: str, link: str, subject: str = "") -> str:
    """The URL that opens the network's composer with the text and the tracked link.

    LinkedIn and Facebook only take the link (their composers ignore prefilled text), so the
    share page also offers to copy the text; X and e-mail take both.
    """
    if network == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": link})
    if network == "x":
        return "https://x.com/intent/post?" + urlencode({"text": text, "url": link})
    if network == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": link})
    if network == "email":
        body = f"{text}\n\n{link}" if text else link
        return "mailto:?" + urlencode({"subject": subject, "body": body}, quote_via=quote)
    raise ValueError(f"unknown network {network!r}")

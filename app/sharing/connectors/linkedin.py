"""LinkedIn: "Sign In with LinkedIn using OpenID Connect" + "Share on LinkedIn" (Posts API).

- OAuth2 authorization code: ``{AUTH_BASE}/oauth/v2/authorization`` and
  ``{AUTH_BASE}/oauth/v2/accessToken`` (client id and secret in the form body); refresh
  tokens are only issued to apps LinkedIn enabled for them — without one, the connection
  must be renewed by the person when the access token expires (60 days).
- Profile: ``GET {API_BASE}/v2/userinfo`` (``sub``, ``name``); followers:
  ``GET {API_BASE}/rest/memberFollowersCount?q=me`` (needs ``r_member_profileAnalytics``;
  when it is refused the count stays unknown).
- Post: ``POST {API_BASE}/rest/posts`` with ``commentary`` and an ``article`` whose source is
  the tracked link; the new post's URN comes back in the ``x-restli-id`` header.
- Metrics: ``GET {API_BASE}/rest/socialActions/{urn}`` (likes, comments) and
  ``GET {API_BASE}/rest/memberCreatorPostAnalytics`` (impressions, reshares; when refused,
  they stay 0).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from flask_babel import gettext as _

from app.sharing.connectors.base import (
    Connector,
    ConnectorError,
    Metrics,
    Profile,
    as_int,
)

#: the versioned /rest API's version header (YYYYMM)
API_VERSION = "202506"
#: LinkedIn's "little text" format: these characters must be backslash-escaped in commentary
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little_text(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


class LinkedInConnector(Connector):
    name = "linkedin"
    label = "LinkedIn"
    scopes = ("openid", "profile", "w_member_social")
    token_auth_method = "client_secret_post"  # noqa: S105
    authorize_path = "/oauth/v2/authorization"
    token_path = "/oauth/v2/accessToken"  # noqa: S105
    default_auth_base = "https://www.linkedin.com"
    default_api_base = "https://api.linkedin.com"
    #: our own horizon: engagement stops being fetched after 90 days
    metrics_window = timedelta(days=90)

    @property
    def token_url(self) -> str:  # LinkedIn's token endpoint is on the authorization host
        return self.auth_base + self.token_path

    def _rest_headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"}

    def error_detail(self, body: dict) -> str:
        return str(body.get("message") or body.get("error_description")
                   or body.get("code") or "")

    def fetch_profile(self, access_token: str) -> Profile:
        info = self.json(self.api("GET", "/v2/userinfo", access_token))
        if not info.get("sub"):
            raise ConnectorError(_("LinkedIn sent no member id."), code="provider")
        name = info.get("name") or " ".join(
            p for p in (info.get("given_name"), info.get("family_name")) if p)
        followers: int | None = None
        try:
            counts = self.json(self.api("GET", "/rest/memberFollowersCount", access_token,
                                        params={"q": "me"}, headers=self._rest_headers()))
            elements = counts.get("elements") or []
            if elements:
                followers = as_int(elements[0].get("memberFollowersCount"))
        except ConnectorError as exc:
            if exc.status != 403:  # a scope not granted: the count stays unknown
                raise
        return Profile(external_id=str(info["sub"]), display_name=str(name)[:200],
                       followers=followers)

    def post(self, access_token: str, *, author_id: str, text: str, link: str,
             title: str = "") -> str:
        commentary = escape_little_text(text)
        if link:
            commentary = f"{commentary}\n\n{link}" if commentary else link
        article = {"source": link}
        if title:
            article["title"] = title[:400]
        body = {
            "author": f"urn:li:person:{author_id}",
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "content": {"article": article},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        response = self.api("POST", "/rest/posts", access_token, ok=(201,), json=body,
                            headers=self._rest_headers())
        urn = response.headers.get("x-restli-id", "").strip()
        if not urn:
            raise ConnectorError(_("LinkedIn did not return the id of the post."),
                                 code="provider")
        return urn

    def fetch_metrics(self, access_token: str, external_post_id: str) -> Metrics:
        urn = quote(external_post_id, safe="")
        actions = self.json(self.api("GET", f"/rest/socialActions/{urn}", access_token,
                                     headers=self._rest_headers()))
        likes = as_int((actions.get("likesSummary") or {}).get("totalLikes"))
        comments_summary = actions.get("commentsSummary") or {}
        comments = as_int(comments_summary.get("aggregatedTotalComments")
                          or comments_summary.get("totalFirstLevelComments"))
        kind = "ugc" if external_post_id.startswith("urn:li:ugcPost:") else "share"
        counts = {}
        for metric in ("IMPRESSION", "RESHARE"):
            try:
                # Rest.li 2.0: the parentheses stay raw, the URN inside is percent-encoded
                answer = self.json(self.api(
                    "GET", f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{urn})"
                           f"&queryType={metric}&aggregation=TOTAL", access_token,
                    headers=self._rest_headers()))
                counts[metric] = sum(as_int(e.get("count")) for e in answer.get("elements") or [])
            except ConnectorError as exc:
                if exc.status != 403:
                    raise
                counts[metric] = 0
        return Metrics(likes=likes, comments=comments, reshares=counts["RESHARE"],
                       impressions=counts["IMPRESSION"])

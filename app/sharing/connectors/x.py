"""X (Twitter) API v2 with OAuth 2.0 authorization code and PKCE.

- ``{AUTH_BASE}/i/oauth2/authorize`` (S256 code challenge), ``{API_BASE}/2/oauth2/token``
  (confidential client: HTTP Basic with the client id and secret); ``offline.access`` gives
  a refresh token, which X rotates at each refresh; access tokens last 2 hours.
- Profile: ``GET {API_BASE}/2/users/me?user.fields=public_metrics`` (followers_count).
- Post: ``POST {API_BASE}/2/tweets`` ``{"text": …}`` (the link inside the text).
- Metrics: ``GET {API_BASE}/2/tweets/:id?tweet.fields=public_metrics``. X only keeps them for
  posts younger than 30 days (``metrics_window``).
"""

from __future__ import annotations

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


class XConnector(Connector):
    name = "x"
    label = "X"
    scopes = ("tweet.read", "tweet.write", "users.read", "offline.access")
    uses_pkce = True
    token_auth_method = "client_secret_basic"  # noqa: S105
    authorize_path = "/i/oauth2/authorize"
    token_path = "/2/oauth2/token"  # noqa: S105
    default_auth_base = "https://x.com"
    default_api_base = "https://api.x.com"
    metrics_window = timedelta(days=30)

    def error_detail(self, body: dict) -> str:
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("message") or "")
        return str(body.get("detail") or body.get("title") or body.get("error_description")
                   or body.get("error") or "")

    def _data(self, body: dict) -> dict:
        data = body.get("data")
        if not isinstance(data, dict):
            raise ConnectorError(_("X answered without data: %(detail)s",
                                   detail=self.error_detail(body)[:300]),
                                 code="provider")
        return data

    def fetch_profile(self, access_token: str) -> Profile:
        data = self._data(self.json(self.api("GET", "/2/users/me", access_token,
                                             params={"user.fields": "public_metrics"})))
        if not data.get("id"):
            raise ConnectorError(_("X sent no user id."), code="provider")
        metrics = data.get("public_metrics") or {}
        followers = as_int(metrics["followers_count"]) if "followers_count" in metrics else None
        name = data.get("name") or ""
        if data.get("username"):
            name = f"{name} (@{data['username']})" if name else f"@{data['username']}"
        return Profile(external_id=str(data["id"]), display_name=name[:200],
                       followers=followers)

    def post(self, access_token: str, *, author_id: str, text: str, link: str,
             title: str = "") -> str:
        full = f"{text}\n\n{link}" if text and link else (text or link)
        data = self._data(self.json(self.api("POST", "/2/tweets", access_token, ok=(200, 201),
                                             json={"text": full})))
        if not data.get("id"):
            raise ConnectorError(_("X did not return the id of the post."), code="provider")
        return str(data["id"])

    def fetch_metrics(self, access_token: str, external_post_id: str) -> Metrics:
        data = self._data(self.json(self.api(
            "GET", f"/2/tweets/{quote(external_post_id, safe='')}", access_token,
            params={"tweet.fields": "public_metrics"})))
        metrics = data.get("public_metrics") or {}
        return Metrics(likes=as_int(metrics.get("like_count")),
                       comments=as_int(metrics.get("reply_count")),
                       reshares=as_int(metrics.get("retweet_count"))
                       + as_int(metrics.get("quote_count")),
                       impressions=as_int(metrics.get("impression_count")))

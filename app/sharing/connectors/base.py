"""The connector interface: one class per network that can post through its API.

A connector knows its network's OAuth2 settings (authorization and token endpoints, scopes,
client id and secret from the config), exchanges an authorization code, refreshes a token,
reads the person's profile (external id, display name, followers), posts a text with a
link, and reads a post's metrics. Every failure is a ``ConnectorError`` whose ``reason`` can
be shown to the employee and stored on the share.

Outbound HTTP goes through Authlib's requests client (``ProviderSession``). The endpoints
come from admin-configured base URLs, so every request is checked first with the SSRF-safe
fetcher's address rules (http(s) only, every address of the host global — loopback only
with ``FETCH_ALLOW_LOOPBACK`` in tests), redirects are never followed, and one timeout
applies (``FETCH_TIMEOUT_SECONDS``). requests resolves the name again when it connects; the
base URLs are set by an administrator, not by employees, which bounds that window.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask_babel import gettext as _

from app.common import fetcher
from app.common.fetcher import FetchError, FetchPolicy
from app.sharing.networks import SHARE_NETWORKS, intent_url

log = logging.getLogger("relais.connectors")


class ConnectorError(Exception):
    """A connector call failed; ``reason`` is short and readable by the employee."""

    def __init__(self, reason: str, *, code: str = "error", status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        #: stable: "unauthorized" (token rejected: refresh then retry), "refused" (address
        #: refused), "network", "provider" (the provider said no), "oauth", "reconnect"
        self.code = code
        self.status = status


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    #: aware UTC; None when the provider gave no lifetime
    expires_at: datetime | None = None
    scope: str = ""


@dataclass(frozen=True)
class Profile:
    external_id: str
    display_name: str
    followers: int | None  # None: the provider would not tell (scope not granted)


@dataclass(frozen=True)
class Metrics:
    likes: int = 0
    comments: int = 0
    reshares: int = 0
    impressions: int = 0


class ProviderSession(OAuth2Session):
    """Authlib's requests session, with the fetcher's address rules on every request."""

    def __init__(self, *args, policy: FetchPolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.trust_env = False  # no proxy or netrc from the environment

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):
        check_endpoint(url, self.policy)
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.policy.timeout)
        try:
            return super().request(method, url, withhold_token=withhold_token, auth=auth,
                                   **kwargs)
        except requests.Timeout as exc:
            raise ConnectorError(_("The network took too long to answer."),
                                 code="network") from exc
        except requests.RequestException as exc:
            raise ConnectorError(_("The network could not be reached."), code="network") from exc


def check_endpoint(url: str, policy: FetchPolicy) -> None:
    """The fetcher's rules for a configured endpoint (scheme, host, every address)."""
    try:
        fetcher.check_address(url, policy)
    except FetchError as exc:
        log.warning("connector endpoint %s refused: %s", url, exc.reason_code)
        raise ConnectorError(_("The network's address is refused by the server's settings."),
                             code="refused") from exc


class Connector:
    """Base class; subclasses set the class attributes and the API calls."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: OAuth2 scopes asked for
    scopes: ClassVar[tuple[str, ...]]
    #: Proof Key for Code Exchange (S256)
    uses_pkce: ClassVar[bool] = False
    #: how the client authenticates at the token endpoint
    token_auth_method: ClassVar[str] = "client_secret_post"  # noqa: S105
    authorize_path: ClassVar[str]
    token_path: ClassVar[str]
    #: defaults of the base URLs (config: <NAME>_AUTH_BASE, <NAME>_API_BASE)
    default_auth_base: ClassVar[str]
    default_api_base: ClassVar[str]
    #: metrics can only be read for posts younger than this (None: no limit)
    metrics_window: ClassVar[timedelta | None] = None

    def __init__(self, config: Mapping[str, Any]):
        prefix = self.name.upper()
        self.client_id = (config.get(f"{prefix}_CLIENT_ID") or "").strip()
        self.client_secret = (config.get(f"{prefix}_CLIENT_SECRET") or "").strip()
        self.auth_base = (config.get(f"{prefix}_AUTH_BASE") or self.default_auth_base
                          ).rstrip("/")
        self.api_base = (config.get(f"{prefix}_API_BASE") or self.default_api_base).rstrip("/")
        self.policy = FetchPolicy.from_config(config)

    # --- description ---------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """Without a client id the connector is hidden."""
        return bool(self.client_id)

    @property
    def char_limit(self) -> int | None:
        return SHARE_NETWORKS[self.name].limit

    @property
    def authorize_url(self) -> str:
        return self.auth_base + self.authorize_path

    @property
    def token_url(self) -> str:
        return self.api_base + self.token_path

    def share_intent(self, text: str, link: str) -> str:
        """The network's own composer with the text and link (no connection needed)."""
        return intent_url(self.name, text=text, link=link)

    # --- OAuth2 --------------------------------------------------------------------------

    def oauth_session(self, *, redirect_uri: str | None = None,
                      access_token: str | None = None) -> ProviderSession:
        options: dict[str, Any] = {}
        if self.uses_pkce:
            options["code_challenge_method"] = "S256"
        token = {"access_token": access_token, "token_type": "Bearer"} if access_token else None
        return ProviderSession(self.client_id, self.client_secret, scope=" ".join(self.scopes),
                               redirect_uri=redirect_uri, token=token,
                               token_endpoint_auth_method=self.token_auth_method,
                               policy=self.policy, **options)

    @staticmethod
    def new_code_verifier() -> str:
        return generate_token(64)  # RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]

    def authorization_url(self, *, redirect_uri: str, state: str,
                          code_verifier: str | None = None) -> str:
        """Where to send the person's browser: the provider's consent page."""
        if self.uses_pkce and not code_verifier:
            raise ValueError(f"{self.name} needs a PKCE code verifier")
        url, _state = self.oauth_session(redirect_uri=redirect_uri).create_authorization_url(
            self.authorize_url, state=state,
            code_verifier=code_verifier if self.uses_pkce else None)
        return url

    def exchange_code(self, code: str, *, redirect_uri: str,
                      code_verifier: str | None = None) -> TokenSet:
        extra = {"code_verifier": code_verifier} if self.uses_pkce else {}
        if self.uses_pkce:
            extra["client_id"] = self.client_id
        return self._token_call(lambda s: s.fetch_token(
            self.token_url, grant_type="authorization_code", code=code, **extra),
            redirect_uri=redirect_uri)

    def refresh(self, refresh_token: str) -> TokenSet:
        if not refresh_token:
            raise ConnectorError(_("Your %(network)s connection expired: connect it again.",
                                   network=self.label),
                                 code="reconnect")
        return self._token_call(lambda s: s.refresh_token(self.token_url,
                                                          refresh_token=refresh_token),
                                keep_refresh=refresh_token)

    def _token_call(self, call, *, redirect_uri: str | None = None,
                    keep_refresh: str = "") -> TokenSet:
        session = self.oauth_session(redirect_uri=redirect_uri)
        try:
            token = call(session)
        except OAuthError as exc:
            description = exc.description or exc.error or "refused"
            raise ConnectorError(_("%(network)s refused the authorization: %(reason)s",
                                   network=self.label, reason=description),
                                 code="oauth") from exc
        except ValueError as exc:  # not JSON, missing access_token…
            raise ConnectorError(_("%(network)s sent an invalid token answer.", network=self.label),
                                 code="oauth") from exc
        finally:
            session.close()
        if not token.get("access_token"):
            raise ConnectorError(_("%(network)s sent no access token.", network=self.label),
                                 code="oauth")
        expires_at = None
        if token.get("expires_in"):
            expires_at = datetime.now(UTC) + timedelta(seconds=int(token["expires_in"]))
        # some providers rotate refresh tokens (X), others keep the old one valid (LinkedIn)
        return TokenSet(access_token=token["access_token"],
                        refresh_token=token.get("refresh_token") or keep_refresh,
                        expires_at=expires_at, scope=token.get("scope") or "")

    # --- API calls -----------------------------------------------------------------------

    def api(self, method: str, path: str, access_token: str, *, ok=(200,),
            **kwargs) -> requests.Response:
        """One bearer-token call to the API base; a non-``ok`` status is a ConnectorError."""
        session = self.oauth_session(access_token=access_token)
        try:
            response = session.request(method, self.api_base + path, **kwargs)
        finally:
            session.close()
        if response.status_code not in ok:
            raise self.error_from(response)
        return response

    def error_from(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = self.error_detail(body)
        detail = (detail or response.reason or f"HTTP {status}").strip()[:300]
        code = "unauthorized" if status == 401 else "provider"
        return ConnectorError(_("%(network)s answered %(status)d: %(detail)s",
                                network=self.label, status=status, detail=detail), code=code,
                              status=status)

    def error_detail(self, body: dict) -> str:
        return str(body.get("message") or body.get("detail") or body.get("error") or "")

    def json(self, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorError(_("%(network)s sent an invalid answer.", network=self.label),
                                 code="provider") from exc
        if not isinstance(body, dict):
            raise ConnectorError(_("%(network)s sent an invalid answer.", network=self.label),
                                 code="provider")
        return body

    def fetch_profile(self, access_token: str) -> Profile:
        raise NotImplementedError

    def post(self, access_token: str, *, author_id: str, text: str, link: str,
             title: str = "") -> str:
        """Publish ``text`` with ``link``; returns the provider's id of the post."""
        raise NotImplementedError

    def fetch_metrics(self, access_token: str, external_post_id: str) -> Metrics:
        raise NotImplementedError


def as_int(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0

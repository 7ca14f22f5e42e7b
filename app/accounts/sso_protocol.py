"""OpenID Connect, the client side: discovery, signing keys, the authorization request, the
code exchange, ID-token validation and userinfo. No database, no Flask request: the rules
(who may sign in, provisioning, groups) are in ``sso_services``.

Flow: authorization code + PKCE (S256) + ``state`` + ``nonce`` (OpenID Connect Core 1.0,
§3.1). The ID token is verified with the provider's published keys (RS256 or ES256 only:
never ``none`` nor HMAC with the client secret), then ``iss`` (exactly the discovered
issuer), ``aud`` (our client id; ``azp`` too when there are several audiences), ``exp``,
``iat`` (neither in the future nor too old), ``nonce`` (the one of this sign-in) and
``at_hash`` when present.

Outbound HTTP: the provider's URLs are admin-configured, so discovery, keys and userinfo
are fetched by the SSRF-safe fetcher (``app.common.fetcher``: public addresses only,
pinned connection, size and time limits; loopback only with ``FETCH_ALLOW_LOOPBACK`` in
tests). The token request is a POST, which the fetcher does not send: it goes through
Authlib's requests client after the fetcher's address check (as the connectors do, see
app/sharing/connectors/base.py), with no redirect followed, no proxy from the environment
and the fetcher's timeout.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError, UnsupportedAlgorithmError
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.common import fetcher
from app.common.fetcher import FetchError, FetchPolicy

log = logging.getLogger("relais.sso")

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: asymmetric signatures only; HS256 would make the client secret a signing key
SUPPORTED_ALGORITHMS = ("RS256", "ES256")
_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
_TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class OidcError(Exception):
    """The provider could not be used, or its answer is not acceptable.

    ``reason`` is stable (audit log, tests); ``detail`` is for administrators and logs
    (English, may quote the provider); people see a translated message chosen by the view.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ProtocolSettings:
    """What the protocol needs from the app configuration."""

    policy: FetchPolicy
    #: discovery documents and key sets are kept this long in each process
    cache_seconds: int = 3600
    #: clock skew tolerated on exp / iat
    leeway_seconds: int = 120
    #: an ID token issued longer ago than this is refused
    max_token_age_seconds: int = 600
    #: every provider URL must be https (production)
    require_https: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ProtocolSettings:
        return cls(policy=FetchPolicy.from_config(config),
                   cache_seconds=int(config.get("OIDC_CACHE_SECONDS", cls.cache_seconds)),
                   leeway_seconds=int(config.get("OIDC_CLOCK_SKEW_SECONDS",
                                                 cls.leeway_seconds)),
                   max_token_age_seconds=int(config.get("OIDC_MAX_TOKEN_AGE_SECONDS",
                                                        cls.max_token_age_seconds)),
                   require_https=config.get("ENV") == "production")


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document Relais uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    #: how we authenticate at the token endpoint
    token_auth_method: str
    #: the signature algorithms we accept that the provider also uses
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class PendingLogin:
    """What waits in the browser's (signed) session between /login/sso and the callback."""

    state: str
    nonce: str
    code_verifier: str
    issuer: str
    started_at: int
    next: str = ""

    @classmethod
    def new(cls, issuer: str, next_url: str = "") -> PendingLogin:
        return cls(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                   # RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]
                   code_verifier=generate_token(64), issuer=issuer,
                   started_at=int(time.time()), next=next_url)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, value: Any) -> PendingLogin | None:
        if not isinstance(value, dict):
            return None
        try:
            texts = {k: value[k] for k in ("state", "nonce", "code_verifier", "issuer")}
            if not all(isinstance(v, str) and v for v in texts.values()):
                return None
            return cls(**texts, started_at=int(value["started_at"]),
                       next=str(value.get("next") or ""))
        except (KeyError, TypeError, ValueError):
            return None


# --- caches (per process) ---------------------------------------------------------------


class _Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, max_age: float) -> Any:
        with self._lock:
            found = self._items.get(key)
        if found is None or time.monotonic() - found[0] > max_age:
            return None
        return found[1]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_discovery_cache = _Cache()
_keys_cache = _Cache()


def clear_caches() -> None:
    """Forget discovery documents and keys (settings saved, tests)."""
    _discovery_cache.clear()
    _keys_cache.clear()


# --- discovery and keys -------------------------------------------------------------------


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def check_url(url: str, settings: ProtocolSettings, what: str) -> str:
    """``url`` if it is an absolute http(s) URL (https when required), else OidcError."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OidcError("bad_metadata", f"{what} is not an http(s) URL: {url!r}")
    if settings.require_https and parts.scheme != "https":
        raise OidcError("insecure_url", f"{what} must be an https:// URL: {url}")
    return url


def _get_json(url: str, settings: ProtocolSettings, what: str) -> dict:
    try:
        result = fetcher.fetch(url, policy=settings.policy, accept="application/json")
    except FetchError as exc:
        log.warning("sso: %s %s refused or failed: %s", what, url, exc.reason_code)
        raise OidcError(f"fetch_{exc.reason_code}", f"{what} ({url}): {exc.message}") from exc
    if result.status != 200:
        raise OidcError("http_status", f"{what} ({url}) answered HTTP {result.status}")
    try:
        body = json.loads(result.content.decode(result.charset or "utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OidcError("bad_json", f"{what} ({url}) is not JSON") from exc
    if not isinstance(body, dict):
        raise OidcError("bad_json", f"{what} ({url}) is not a JSON object")
    return body


def discover(issuer: str, settings: ProtocolSettings, *, use_cache: bool = True
             ) -> ProviderMetadata:
    """The provider's metadata from ``<issuer>/.well-known/openid-configuration``."""
    issuer = check_url(issuer, settings, "The issuer")
    if use_cache:
        cached = _discovery_cache.get(issuer, settings.cache_seconds)
        if cached is not None:
            return cached
    doc = _get_json(discovery_url(issuer), settings, "The discovery document")
    published = doc.get("issuer")
    # OpenID Connect Discovery §4.3: the document must name the issuer we asked about
    # (a trailing slash aside); its own spelling is then what ID tokens must carry
    if not isinstance(published, str) or published.rstrip("/") != issuer.rstrip("/"):
        raise OidcError("issuer_mismatch", f"the discovery document names the issuer "
                                           f"{published!r}, not {issuer!r}")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(name)
        if not isinstance(value, str) or not value:
            raise OidcError("bad_metadata", f"the discovery document has no {name}")
        endpoints[name] = check_url(value, settings, name)
    userinfo = doc.get("userinfo_endpoint")
    userinfo = check_url(userinfo, settings, "userinfo_endpoint") if isinstance(
        userinfo, str) and userinfo else ""
    response_types = doc.get("response_types_supported")
    if isinstance(response_types, list) and "code" not in response_types:
        raise OidcError("unsupported", "the provider does not offer the authorization code "
                                       "flow (response_types_supported lacks \"code\")")
    challenges = doc.get("code_challenge_methods_supported")
    if isinstance(challenges, list) and "S256" not in challenges:
        raise OidcError("unsupported", "the provider does not support PKCE with S256")
    offered = doc.get("id_token_signing_alg_values_supported")
    algorithms = tuple(a for a in SUPPORTED_ALGORITHMS
                       if not isinstance(offered, list) or a in offered)
    if not algorithms:
        raise OidcError("unsupported", f"the provider signs ID tokens with {offered}; Relais "
                                       f"accepts {', '.join(SUPPORTED_ALGORITHMS)}")
    methods = doc.get("token_endpoint_auth_methods_supported")
    # the spec's default is client_secret_basic when the list is absent
    method = next((m for m in _TOKEN_AUTH_METHODS
                   if not isinstance(methods, list) or m in methods), None)
    if method is None:
        raise OidcError("unsupported", f"the token endpoint accepts {methods}; Relais sends "
                                       "client_secret_basic or client_secret_post")
    metadata = ProviderMetadata(issuer=published, userinfo_endpoint=userinfo,
                                token_auth_method=method, algorithms=algorithms, **endpoints)
    _discovery_cache.put(issuer, metadata)
    return metadata


def signing_keys(metadata: ProviderMetadata, settings: ProtocolSettings, *,
                 refresh: bool = False) -> KeySet:
    """The provider's published signature keys (JWKS), cached; ``refresh`` reloads them
    (a token signed with a key we do not know yet: the provider rotated its keys)."""
    if not refresh:
        cached = _keys_cache.get(metadata.jwks_uri, settings.cache_seconds)
        if cached is not None:
            return cached
    doc = _get_json(metadata.jwks_uri, settings, "The signing keys (JWKS)")
    raw_keys = doc.get("keys")
    if not isinstance(raw_keys, list):
        raise OidcError("bad_jwks", "the JWKS document has no \"keys\" list")
    keys = []
    for raw in raw_keys:
        # keys for encryption, or of types we never verify with, are skipped
        if not isinstance(raw, dict) or raw.get("use") == "enc" or raw.get("kty") not in (
                "RSA", "EC"):
            continue
        try:
            key = (RSAKey if raw["kty"] == "RSA" else ECKey).import_key(raw)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            log.warning("sso: a key of %s cannot be read: %s", metadata.jwks_uri, exc)
            continue
        keys.append(key)
    if not keys:
        raise OidcError("bad_jwks", "the JWKS document has no usable RSA or EC signature key")
    key_set = KeySet(keys)
    _keys_cache.put(metadata.jwks_uri, key_set)
    return key_set


# --- the authorization request and the code exchange ----------------------------------------


class _ProviderSession(OAuth2Session):
    """Authlib's requests session with the fetcher's address rules on every request."""

    def __init__(self, *args, settings: ProtocolSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.trust_env = False  # no proxy or netrc from the environment

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):
        check_address(url, self.settings)
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.settings.policy.timeout)
        try:
            return super().request(method, url, withhold_token=withhold_token, auth=auth,
                                   **kwargs)
        except requests.Timeout as exc:
            raise OidcError("timeout", f"{url} took too long to answer") from exc
        except requests.RequestException as exc:
            raise OidcError("unreachable", f"{url} could not be reached") from exc


def check_address(url: str, settings: ProtocolSettings) -> None:
    """The fetcher's address rules (http(s), every address of the host public)."""
    try:
        fetcher.check_address(url, settings.policy)
    except FetchError as exc:
        raise OidcError(f"fetch_{exc.reason_code}", f"{url}: {exc.message}") from exc


def _session(client_id: str, client_secret: str, metadata: ProviderMetadata,
             settings: ProtocolSettings, *, scope: str = "", redirect_uri: str | None = None,
             token: dict | None = None) -> _ProviderSession:
    return _ProviderSession(client_id, client_secret, scope=scope, redirect_uri=redirect_uri,
                            token=token, token_endpoint_auth_method=metadata.token_auth_method,
                            code_challenge_method="S256", settings=settings)


def normalise_scopes(scopes: str) -> str:
    """Space-separated, each once, "openid" first (always sent: it makes this OIDC)."""
    words = [w for w in (scopes or "").replace(",", " ").split() if w]
    return " ".join(dict.fromkeys(["openid", *words]))


def authorization_url(metadata: ProviderMetadata, settings: ProtocolSettings, *,
                      client_id: str, scopes: str, redirect_uri: str,
                      pending: PendingLogin) -> str:
    """Where to send the browser: the provider's sign-in page."""
    session = _session(client_id, "", metadata, settings, scope=normalise_scopes(scopes),
                       redirect_uri=redirect_uri)
    url, _state = session.create_authorization_url(
        metadata.authorization_endpoint, state=pending.state,
        code_verifier=pending.code_verifier, nonce=pending.nonce)
    session.close()
    return url


def exchange_code(metadata: ProviderMetadata, settings: ProtocolSettings, *, client_id: str,
                  client_secret: str, code: str, redirect_uri: str, code_verifier: str) -> dict:
    """The token endpoint's answer (with ``id_token`` and ``access_token``)."""
    session = _session(client_id, client_secret, metadata, settings, redirect_uri=redirect_uri)
    try:
        token = session.fetch_token(metadata.token_endpoint, grant_type="authorization_code",
                                    code=code, code_verifier=code_verifier)
    except OAuthError as exc:
        raise OidcError("token_refused", f"the token endpoint refused the code: "
                                         f"{exc.error or ''} {exc.description or ''}".strip()
                        ) from exc
    except requests.HTTPError as exc:  # Authlib raises for a 5xx answer
        raise OidcError("token_refused", f"the token endpoint answered "
                                         f"HTTP {exc.response.status_code}") from exc
    except ValueError as exc:  # not JSON, no access_token…
        raise OidcError("bad_token_response", f"invalid token answer: {exc}") from exc
    finally:
        session.close()
    if not isinstance(token.get("id_token"), str) or not token["id_token"]:
        raise OidcError("no_id_token", "the token answer has no id_token (is the \"openid\" "
                                       "scope allowed for this client?)")
    return dict(token)


def userinfo(metadata: ProviderMetadata, settings: ProtocolSettings, access_token: str) -> dict:
    """The userinfo endpoint's claims (a bearer-token GET)."""
    if not metadata.userinfo_endpoint:
        return {}
    session = _session("", "", metadata, settings,
                       token={"access_token": access_token, "token_type": "Bearer"})
    try:
        response = session.get(metadata.userinfo_endpoint,
                               headers={"Accept": "application/json"})
    finally:
        session.close()
    if response.status_code != 200:
        raise OidcError("userinfo_status", f"userinfo answered HTTP {response.status_code}")
    if len(response.content) > settings.policy.max_bytes:
        raise OidcError("userinfo_too_large", "the userinfo answer is too large")
    try:
        body = response.json()
    except ValueError as exc:
        raise OidcError("bad_json", "the userinfo answer is not JSON") from exc
    if not isinstance(body, dict):
        raise OidcError("bad_json", "the userinfo answer is not a JSON object")
    return body


# --- the ID token -----------------------------------------------------------------------------


class _UnknownKey(Exception):
    pass


def _resolver(key_set: KeySet, allowed: tuple[str, ...]):
    def resolve(obj) -> Any:
        header = obj.headers()
        alg = header.get("alg")
        if alg not in allowed:
            raise OidcError("bad_algorithm", f"the ID token is signed with {alg!r}; accepted: "
                                             f"{', '.join(allowed)}")
        kid = header.get("kid")
        candidates = [k for k in key_set.keys if k.key_type == _KEY_TYPES[alg]
                      and (not kid or k.kid == kid)
                      and k.get("alg") in (None, alg)]
        if not candidates or (not kid and len(candidates) > 1):
            raise _UnknownKey(kid)
        return candidates[0]

    return resolve


def _at_hash(access_token: str, alg: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()  # RS256 and ES256
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def validate_id_token(id_token: str, metadata: ProviderMetadata, settings: ProtocolSettings, *,
                      client_id: str, nonce: str, access_token: str = "",
                      now: int | None = None) -> dict:
    """The ID token's claims, once its signature and claims check out; else OidcError."""
    now = int(time.time()) if now is None else now
    algorithms = metadata.algorithms
    token = None
    for refresh in (False, True):
        key_set = signing_keys(metadata, settings, refresh=refresh)
        try:
            token = jwt.decode(id_token, _resolver(key_set, algorithms), algorithms=algorithms)
            break
        except _UnknownKey as exc:
            if refresh:
                raise OidcError("unknown_key", f"no published key matches the ID token "
                                               f"(kid {exc.args[0]!r})") from None
        except OidcError:
            raise
        except UnsupportedAlgorithmError as exc:  # "none", HS256…: refused before any key
            raise OidcError("bad_algorithm", "the ID token is not signed with "
                                             f"{' or '.join(algorithms)}") from exc
        except (JoseError, ValueError) as exc:
            raise OidcError("bad_signature", f"the ID token cannot be verified: "
                                             f"{type(exc).__name__}") from exc
    if token is None:  # unreachable: each pass decodes or raises (an explicit check, not an
        # assert, so that it holds under ``python -O`` too)
        raise OidcError("bad_signature", "the ID token cannot be verified")
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=settings.leeway_seconds,
        iss={"essential": True, "value": metadata.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise OidcError("expired", "the ID token has expired") from exc
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or str(exc)
        raise OidcError("bad_claim", f"the ID token's claims are not valid ({claim})") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    # Core §3.1.3.7: several audiences need an azp, and an azp must be us
    if (len(audiences) > 1 and not azp) or (azp is not None and azp != client_id):
        raise OidcError("bad_claim", "the ID token was issued to another client (azp)")
    if claims["iat"] < now - settings.max_token_age_seconds - settings.leeway_seconds:
        raise OidcError("bad_claim", "the ID token was issued too long ago (iat)")
    if access_token and claims.get("at_hash") is not None and not secrets.compare_digest(
            str(claims["at_hash"]), _at_hash(access_token, token.header["alg"])):
        raise OidcError("bad_claim", "the ID token does not match the access token (at_hash)")
    if not isinstance(claims["sub"], str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise OidcError("bad_claim", "the ID token has no usable subject (sub)")
    return claims

"""A small OpenID Connect provider for the single sign-on tests: one Flask app served on
127.0.0.1 by werkzeug in a thread, with the paths of a Keycloak realm (the issuer is
``<base>/realms/acme``, so discovery is read below a path, not at the host's root).

It does what a real provider does and checks what a real one checks:
- ``/.well-known/openid-configuration``: the discovery document;
- ``/protocol/openid-connect/auth``: the client id, ``response_type=code``, the ``openid``
  scope, a ``nonce`` and a PKCE S256 challenge are required; the configured test person
  is signed in and approved at once (``fail("authorize")``: they refuse instead);
- ``/protocol/openid-connect/token``: client authentication (HTTP Basic or in the form),
  single-use codes, the same ``redirect_uri``, the PKCE ``code_verifier``; the answer
  carries an ID token signed with a generated RSA key (or EC, see ``sign_with``);
- ``/protocol/openid-connect/certs``: the public keys (JWKS);
- ``/protocol/openid-connect/userinfo``: the person's claims for a bearer token.

Tests change the person (``person``), where the groups are released (``groups_in``),
tamper with the next ID tokens (``id_token_claims``, ``drop_claims``, ``sign_with``,
``header``), the discovery document (``discovery``), rotate keys (``rotate_keys``) and
read ``calls``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "relais-web"
CLIENT_SECRET = "relais-web-secret-0123456789abcdef"
REALM = "/realms/acme"
PROVIDER_NAME = "Acme ID"


def default_person() -> dict[str, Any]:
    return {"sub": "f3b1c2d4-0001-4e5f-8a9b-ada000000001", "email": "ada@acme.example",
            "email_verified": True, "name": "Ada Lovelace", "given_name": "Ada",
            "family_name": "Lovelace", "locale": "en", "groups": ["acme-marketing"]}


@dataclass
class IdpState:
    person: dict[str, Any] = field(default_factory=default_person)
    #: "id_token" (default), "userinfo" (only there), "nowhere"
    groups_in: str = "id_token"
    codes: dict[str, dict] = field(default_factory=dict)
    access: dict[str, dict] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    failures: set[str] = field(default_factory=set)
    #: claims replaced in (None: removed from) the next ID tokens
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    #: "rsa" | "ec" | "stranger" (an unpublished key with a published kid) | "hs256" (the
    #: client secret) | "none" (unsigned)
    sign_with: str = "rsa"
    #: header fields replaced in the next ID tokens
    header: dict[str, Any] = field(default_factory=dict)
    #: fields replaced in (None: removed from) the discovery document
    discovery: dict[str, Any] = field(default_factory=dict)
    #: userinfo answers with another subject
    userinfo_sub: str | None = None
    #: the authorization requests as received (query arguments)
    authorize_requests: list[dict] = field(default_factory=list)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


class FakeIdentityProvider:
    def __init__(self):
        self.state = IdpState()
        self.lock = threading.Lock()
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig",
                                                         "alg": "RS256"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig",
                                                          "alg": "ES256"})
        #: same kid as the published RSA key, never published: a forger's key
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
        self.published = [self.rsa, self.ec]
        self.app = self._build()
        self.server = None
        self.thread = None

    # --- control from the tests -------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def issuer(self) -> str:
        return self.base_url + REALM

    def reset(self) -> None:
        with self.lock:
            self.state = IdpState()
            self.published = [self.rsa, self.ec]
            self.current_rsa = self.rsa

    def fail(self, endpoint: str) -> None:
        """endpoint: authorize (the person refuses) | token | userinfo | jwks | discovery"""
        with self.lock:
            self.state.failures.add(endpoint)

    def rotate_keys(self) -> RSAKey:
        """A new RSA key signs from now on and is published beside the old one."""
        key = RSAKey.generate_key(2048, parameters={"kid": f"rsa-{secrets.token_hex(3)}",
                                                    "use": "sig", "alg": "RS256"})
        with self.lock:
            self.published = [*self.published, key]
            self.current_rsa = key
        return key

    def calls_to(self, suffix: str) -> int:
        return sum(1 for _m, path in self.state.calls if path.endswith(suffix))

    def config(self, **extra) -> dict[str, Any]:
        """Relais settings (environment variables) that point single sign-on here."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_PROVIDER_NAME": PROVIDER_NAME,
                "FETCH_ALLOW_LOOPBACK": True, **extra}

    def start(self) -> FakeIdentityProvider:
        self.current_rsa = self.rsa
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    # --- tokens -----------------------------------------------------------------------

    def id_token(self, claims: dict[str, Any]) -> str:
        state = self.state
        claims = dict(claims)
        for name, value in state.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        how = state.sign_with
        if how == "none":
            header = {"alg": "none", "typ": "JWT", **state.header}
            return (_b64(json.dumps(header).encode()) + "."
                    + _b64(json.dumps(claims).encode()) + ".")
        if how == "hs256":
            key, header = OctKey.import_key(CLIENT_SECRET), {"alg": "HS256"}
        elif how == "ec":
            key, header = self.ec, {"alg": "ES256", "kid": self.ec.kid}
        elif how == "stranger":
            key, header = self.stranger, {"alg": "RS256", "kid": self.stranger.kid}
        else:
            key, header = self.current_rsa, {"alg": "RS256", "kid": self.current_rsa.kid}
        header.update(state.header)
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    # --- the provider -----------------------------------------------------------------

    def _build(self) -> Flask:
        app = Flask("fake_idp")
        idp = self

        def url(path: str) -> str:
            return idp.issuer + path

        def failing(endpoint: str) -> bool:
            return endpoint in idp.state.failures

        @app.before_request
        def _record():
            idp.state.calls.append((request.method, request.path))

        @app.get(REALM + "/.well-known/openid-configuration")
        def discovery():
            if failing("discovery"):
                return jsonify(error="unavailable"), 503
            doc = {
                "issuer": idp.issuer,
                "authorization_endpoint": url("/protocol/openid-connect/auth"),
                "token_endpoint": url("/protocol/openid-connect/token"),
                "jwks_uri": url("/protocol/openid-connect/certs"),
                "userinfo_endpoint": url("/protocol/openid-connect/userinfo"),
                "response_types_supported": ["code", "id_token", "code id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "client_secret_post"],
                "scopes_supported": ["openid", "email", "profile", "groups"],
                "claims_supported": ["sub", "iss", "email", "email_verified", "name",
                                     "groups"],
            }
            for name, value in idp.state.discovery.items():
                if value is None:
                    doc.pop(name, None)
                else:
                    doc[name] = value
            return jsonify(doc)

        @app.get(REALM + "/protocol/openid-connect/certs")
        def jwks():
            if failing("jwks"):
                return jsonify(error="unavailable"), 503
            with idp.lock:
                keys = [k.as_dict(private=False) for k in idp.published]
            return jsonify(keys=keys)

        @app.get(REALM + "/protocol/openid-connect/auth")
        def authorize():
            args = request.args
            idp.state.authorize_requests.append(dict(args))
            redirect_uri = args.get("redirect_uri", "")
            if args.get("client_id") != CLIENT_ID or not redirect_uri:
                return jsonify(error="invalid_request", error_description="bad client"), 400
            if args.get("response_type") != "code":
                return jsonify(error="unsupported_response_type"), 400
            if "openid" not in args.get("scope", "").split():
                return jsonify(error="invalid_scope", error_description="openid needed"), 400
            if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
                return jsonify(error="invalid_request",
                               error_description="PKCE S256 is required"), 400
            if not args.get("nonce"):
                return jsonify(error="invalid_request", error_description="nonce needed"), 400
            if failing("authorize"):  # the person clicked "Cancel"
                return redirect(redirect_uri + "?" + urlencode(
                    {"error": "access_denied", "state": args.get("state", "")}))
            code = secrets.token_urlsafe(24)
            with idp.lock:
                idp.state.codes[code] = {
                    "redirect_uri": redirect_uri, "challenge": args["code_challenge"],
                    "nonce": args["nonce"], "scope": args["scope"],
                    "person": dict(idp.state.person)}
            return redirect(redirect_uri + "?" + urlencode(
                {"code": code, "state": args.get("state", ""),
                 "session_state": secrets.token_hex(8)}))

        @app.post(REALM + "/protocol/openid-connect/token")
        def token():
            form = request.form
            auth = request.authorization
            creds = ((auth.username, auth.password) if auth and auth.type == "basic"
                     else (form.get("client_id"), form.get("client_secret")))
            if creds != (CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_client",
                               error_description="Invalid client credentials"), 401
            if failing("token"):
                return jsonify(error="server_error", error_description="try later"), 500
            if form.get("grant_type") != "authorization_code":
                return jsonify(error="unsupported_grant_type"), 400
            with idp.lock:
                info = idp.state.codes.pop(form.get("code", ""), None)
            if info is None:
                return jsonify(error="invalid_grant", error_description="Code not valid"), 400
            if form.get("redirect_uri") != info["redirect_uri"]:
                return jsonify(error="invalid_grant",
                               error_description="Incorrect redirect_uri"), 400
            verifier = form.get("code_verifier", "")
            if not verifier or _s256(verifier) != info["challenge"]:
                return jsonify(error="invalid_grant",
                               error_description="PKCE verification failed"), 400
            person = info["person"]
            access = secrets.token_urlsafe(32)
            with idp.lock:
                idp.state.access[access] = person
            now = int(time.time())
            claims = {"iss": idp.issuer, "sub": person["sub"], "aud": CLIENT_ID,
                      "azp": CLIENT_ID, "exp": now + 300, "iat": now, "auth_time": now,
                      "nonce": info["nonce"],
                      "at_hash": _b64(hashlib.sha256(access.encode()).digest()[:16])}
            for name in ("email", "email_verified", "name", "given_name", "family_name",
                         "locale"):
                if name in person:
                    claims[name] = person[name]
            if idp.state.groups_in == "id_token" and "groups" in person:
                claims["groups"] = person["groups"]
            return jsonify(access_token=access, token_type="Bearer", expires_in=300,
                           id_token=idp.id_token(claims), scope=info["scope"])

        @app.get(REALM + "/protocol/openid-connect/userinfo")
        def userinfo():
            header = request.headers.get("Authorization", "")
            person = idp.state.access.get(header[7:] if header.startswith("Bearer ") else "")
            if person is None:
                return jsonify(error="invalid_token"), 401
            if failing("userinfo"):
                return jsonify(error="server_error"), 500
            answer = {k: v for k, v in person.items() if k != "groups"}
            if idp.state.groups_in == "userinfo" and "groups" in person:
                answer["groups"] = person["groups"]
            if idp.state.userinfo_sub is not None:
                answer["sub"] = idp.state.userinfo_sub
            return jsonify(answer)

        return app


@pytest.fixture(scope="session")
def fake_idp_server():
    provider = FakeIdentityProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def idp(fake_idp_server):
    """The fake provider, reset, with Relais's discovery and key caches emptied."""
    from app.accounts import sso_protocol

    fake_idp_server.reset()
    sso_protocol.clear_caches()
    yield fake_idp_server
    sso_protocol.clear_caches()

"""A fake LinkedIn and X, for the connector tests: one small Flask app emulating both
providers' OAuth2 and API endpoints with the real paths and shapes, served on 127.0.0.1 by
werkzeug in a thread. Relais reaches it through the configurable base URLs.

It checks what the real providers check: the client's credentials (LinkedIn in the form
body, X with HTTP Basic), the redirect URI, single-use codes, PKCE S256 for X, bearer
tokens and their expiry; it issues refresh tokens (X rotates them). ``fail(...)`` makes
the next calls of an endpoint fail; ``calls`` records every request.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

LINKEDIN_CLIENT = ("li-client-id", "li-client-secret")
X_CLIENT = ("x-client-id", "x-client-secret")
LINKEDIN_TOKEN_SECONDS = 60 * 24 * 3600
X_TOKEN_SECONDS = 2 * 3600


@dataclass
class Failure:
    status: int
    body: dict
    times: int | None  # None: until cleared


@dataclass
class ProviderState:
    codes: dict[str, dict] = field(default_factory=dict)
    access: dict[str, dict] = field(default_factory=dict)
    refresh: dict[str, dict] = field(default_factory=dict)
    posts: dict[str, dict] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    users: dict[str, dict] = field(default_factory=lambda: {
        "linkedin": {"sub": "li-ada-782bbtaQ", "name": "Ada Lovelace", "given_name": "Ada",
                     "family_name": "Lovelace", "followers": 321},
        "x": {"id": "1346889436626259968", "name": "Ada Lovelace", "username": "ada",
              "followers": 1234},
    })


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


_LITTLE_TEXT_ESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


class FakeProvider:
    def __init__(self):
        self.state = ProviderState()
        self.lock = threading.Lock()
        self.ids = itertools.count(7_000_000_000_000_000_001)
        self.app = self._build()
        self.server = None
        self.thread = None

    # --- control from the tests ------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def reset(self) -> None:
        with self.lock:
            self.state = ProviderState()

    def fail(self, endpoint: str, status: int, body: dict, times: int | None = None) -> None:
        """endpoint: token | userinfo | followers | post | metrics | authorize"""
        with self.lock:
            self.state.failures[endpoint] = Failure(status, body, times)

    def expire_access_tokens(self, network: str | None = None) -> None:
        with self.lock:
            for info in self.state.access.values():
                if network is None or info["network"] == network:
                    info["expires"] = 0

    def set_metrics(self, post_id: str, **values: int) -> None:
        with self.lock:
            self.state.metrics[post_id] = values

    def calls_to(self, path_prefix: str) -> int:
        return sum(1 for _m, path in self.state.calls if path.startswith(path_prefix))

    def config(self) -> dict[str, Any]:
        """Relais settings that point both connectors here."""
        return {"LINKEDIN_CLIENT_ID": LINKEDIN_CLIENT[0],
                "LINKEDIN_CLIENT_SECRET": LINKEDIN_CLIENT[1],
                "LINKEDIN_AUTH_BASE": self.base_url, "LINKEDIN_API_BASE": self.base_url,
                "X_CLIENT_ID": X_CLIENT[0], "X_CLIENT_SECRET": X_CLIENT[1],
                "X_AUTH_BASE": self.base_url, "X_API_BASE": self.base_url,
                "FETCH_ALLOW_LOOPBACK": True}

    def start(self) -> FakeProvider:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    # --- the fake ----------------------------------------------------------------------

    def _failure(self, endpoint: str):
        failure = self.state.failures.get(endpoint)
        if failure is None:
            return None
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                del self.state.failures[endpoint]
        return jsonify(failure.body), failure.status

    def _bearer(self, network: str):
        """The user behind a valid bearer token of ``network``, or an error response."""
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        info = self.state.access.get(token)
        if info is None or info["network"] != network or info["expires"] <= time.time():
            if network == "linkedin":
                return None, (jsonify(status=401, serviceErrorCode=65600,
                                      code="INVALID_ACCESS_TOKEN",
                                      message="Invalid access token"), 401)
            return None, (jsonify(title="Unauthorized", type="about:blank", status=401,
                                  detail="Unauthorized"), 401)
        return self.state.users[network], None

    def _issue(self, network: str, scope: str) -> dict:
        access = "acc-" + secrets.token_urlsafe(24)
        refresh = "ref-" + secrets.token_urlsafe(24)
        lifetime = LINKEDIN_TOKEN_SECONDS if network == "linkedin" else X_TOKEN_SECONDS
        self.state.access[access] = {"network": network, "expires": time.time() + lifetime}
        self.state.refresh[refresh] = {"network": network, "scope": scope}
        answer = {"access_token": access, "expires_in": lifetime, "refresh_token": refresh,
                  "scope": scope}
        if network == "linkedin":
            answer["refresh_token_expires_in"] = 365 * 24 * 3600
        else:
            answer["token_type"] = "bearer"
        return answer

    def _build(self) -> Flask:
        app = Flask("fake_provider")
        provider = self

        @app.before_request
        def _record():
            provider.state.calls.append((request.method, request.path))

        def authorize(network: str, client: tuple[str, str]):
            with provider.lock:
                failed = provider._failure("authorize")
            args = request.args
            redirect_uri = args.get("redirect_uri", "")
            if args.get("client_id") != client[0] or not redirect_uri:
                return jsonify(error="invalid_request", error_description="bad client"), 400
            if args.get("response_type") != "code":
                return jsonify(error="unsupported_response_type"), 400
            if failed is not None:  # the person refused
                return redirect(redirect_uri + "?" + urlencode(
                    {"error": "access_denied", "state": args.get("state", "")}))
            if network == "x" and (not args.get("code_challenge")
                                   or args.get("code_challenge_method") != "S256"):
                return jsonify(error="invalid_request",
                               error_description="PKCE S256 is required"), 400
            code = "code-" + secrets.token_urlsafe(16)
            with provider.lock:
                provider.state.codes[code] = {
                    "network": network, "redirect_uri": redirect_uri,
                    "challenge": args.get("code_challenge"), "scope": args.get("scope", "")}
            return redirect(redirect_uri + "?" + urlencode(
                {"code": code, "state": args.get("state", "")}))

        def token(network: str, client: tuple[str, str]):
            form = request.form
            if network == "linkedin":
                creds = (form.get("client_id"), form.get("client_secret"))
            else:
                auth = request.authorization
                creds = (auth.username, auth.password) if auth else (None, None)
            if creds != client:
                return jsonify(error="invalid_client",
                               error_description="Client authentication failed"), 401
            with provider.lock:
                failed = provider._failure("token")
                if failed is not None:
                    return failed
                grant = form.get("grant_type")
                if grant == "authorization_code":
                    info = provider.state.codes.pop(form.get("code", ""), None)
                    if info is None or info["network"] != network:
                        return jsonify(error="invalid_grant",
                                       error_description="Invalid authorization code"), 400
                    if form.get("redirect_uri") != info["redirect_uri"]:
                        return jsonify(error="invalid_grant",
                                       error_description="redirect_uri mismatch"), 400
                    if network == "x":
                        verifier = form.get("code_verifier", "")
                        if not verifier or _s256(verifier) != info["challenge"]:
                            return jsonify(error="invalid_request",
                                           error_description="Value passed for the "
                                           "authorization code was invalid."), 400
                    return jsonify(provider._issue(network, info["scope"]))
                if grant == "refresh_token":
                    info = provider.state.refresh.get(form.get("refresh_token", ""))
                    if info is None or info["network"] != network:
                        return jsonify(error="invalid_grant",
                                       error_description="Invalid refresh token"), 400
                    if network == "x":  # X rotates refresh tokens
                        del provider.state.refresh[form["refresh_token"]]
                    answer = provider._issue(network, info["scope"])
                    if network == "linkedin":  # LinkedIn keeps the refresh token
                        del provider.state.refresh[answer["refresh_token"]]
                        answer["refresh_token"] = form["refresh_token"]
                    return jsonify(answer)
                return jsonify(error="unsupported_grant_type"), 400

        # --- LinkedIn ------------------------------------------------------------------

        @app.get("/oauth/v2/authorization")
        def linkedin_authorize():
            return authorize("linkedin", LINKEDIN_CLIENT)

        @app.post("/oauth/v2/accessToken")
        def linkedin_token():
            return token("linkedin", LINKEDIN_CLIENT)

        def rest_headers_missing():
            if not re.fullmatch(r"\d{6}", request.headers.get("LinkedIn-Version", "")):
                return jsonify(status=426, code="VERSION_MISSING",
                               message="A version must be present"), 426
            if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                return jsonify(status=400, message="Restli protocol 2.0.0 expected"), 400
            return None

        @app.get("/v2/userinfo")
        def linkedin_userinfo():
            with provider.lock:
                user, error = provider._bearer("linkedin")
                if error:
                    return error
                failed = provider._failure("userinfo")
            if failed is not None:
                return failed
            return jsonify(sub=user["sub"], name=user["name"], given_name=user["given_name"],
                           family_name=user["family_name"], locale={"country": "US",
                                                                    "language": "en"},
                           picture="https://media.licdn.example/ada.jpg")

        @app.get("/rest/memberFollowersCount")
        def linkedin_followers():
            with provider.lock:
                user, error = provider._bearer("linkedin")
                if error:
                    return error
                failed = provider._failure("followers")
            if failed is not None:
                return failed
            missing = rest_headers_missing()
            if missing or request.args.get("q") != "me":
                return missing or (jsonify(status=400, message="q=me expected"), 400)
            return jsonify(paging={"start": 0, "count": 10, "links": []},
                           elements=[{"memberFollowersCount": user["followers"]}])

        @app.post("/rest/posts")
        def linkedin_post():
            with provider.lock:
                user, error = provider._bearer("linkedin")
                if error:
                    return error
                failed = provider._failure("post")
            if failed is not None:
                return failed
            missing = rest_headers_missing()
            if missing:
                return missing
            body = request.get_json(silent=True) or {}
            article = (body.get("content") or {}).get("article") or {}
            problems = []
            if body.get("author") != f"urn:li:person:{user['sub']}":
                problems.append("author")
            if not body.get("commentary"):
                problems.append("commentary")
            if body.get("lifecycleState") != "PUBLISHED" or body.get("visibility") != "PUBLIC":
                problems.append("lifecycleState/visibility")
            if not str(article.get("source", "")).startswith(("http://", "https://")):
                problems.append("content.article.source")
            if (body.get("distribution") or {}).get("feedDistribution") != "MAIN_FEED":
                problems.append("distribution")
            if problems:
                return jsonify(status=422, code="UNPROCESSABLE_ENTITY",
                               message="Invalid fields: " + ", ".join(problems)), 422
            urn = f"urn:li:share:{next(provider.ids)}"
            with provider.lock:
                provider.state.posts[urn] = {
                    "network": "linkedin", "author": body["author"],
                    "raw": body["commentary"],
                    "text": _LITTLE_TEXT_ESCAPE.sub(r"\1", body["commentary"]),
                    "link": article["source"], "title": article.get("title", "")}
            return "", 201, {"x-restli-id": urn}

        @app.get("/rest/socialActions/<path:urn>")
        def linkedin_social_actions(urn):
            with provider.lock:
                _user, error = provider._bearer("linkedin")
                if error:
                    return error
                failed = provider._failure("metrics")
                if failed is not None:
                    return failed
                if urn not in provider.state.posts:
                    return jsonify(status=404, message=f"Not found: {urn}"), 404
                m = provider.state.metrics.get(urn, {})
            return jsonify(target=urn, likesSummary={"totalLikes": m.get("likes", 0),
                                                     "likedByCurrentUser": False},
                           commentsSummary={"aggregatedTotalComments": m.get("comments", 0),
                                            "totalFirstLevelComments": m.get("comments", 0)})

        @app.get("/rest/memberCreatorPostAnalytics")
        def linkedin_post_analytics():
            with provider.lock:
                _user, error = provider._bearer("linkedin")
                if error:
                    return error
                match = re.fullmatch(r"\((?:share|ugc):(.+)\)", request.args.get("entity", ""))
                urn = match.group(1) if match else ""
                if urn not in provider.state.posts:
                    return jsonify(status=404, message="Not found"), 404
                m = provider.state.metrics.get(urn, {})
            kind = request.args.get("queryType")
            value = {"IMPRESSION": m.get("impressions", 0),
                     "RESHARE": m.get("reshares", 0)}.get(kind)
            if value is None:
                return jsonify(status=400, message="queryType"), 400
            return jsonify(elements=[{"count": value, "metricType": kind}])

        # --- X -------------------------------------------------------------------------

        @app.get("/i/oauth2/authorize")
        def x_authorize():
            return authorize("x", X_CLIENT)

        @app.post("/2/oauth2/token")
        def x_token():
            return token("x", X_CLIENT)

        @app.get("/2/users/me")
        def x_me():
            with provider.lock:
                user, error = provider._bearer("x")
                if error:
                    return error
                failed = provider._failure("userinfo")
            if failed is not None:
                return failed
            data = {"id": user["id"], "name": user["name"], "username": user["username"]}
            if "public_metrics" in request.args.get("user.fields", "").split(","):
                data["public_metrics"] = {"followers_count": user["followers"],
                                          "following_count": 10, "tweet_count": 99,
                                          "listed_count": 1}
            return jsonify(data=data)

        @app.post("/2/tweets")
        def x_post():
            with provider.lock:
                user, error = provider._bearer("x")
                if error:
                    return error
                failed = provider._failure("post")
            if failed is not None:
                return failed
            text = (request.get_json(silent=True) or {}).get("text", "")
            if not text:
                return jsonify(errors=[{"message": "text is required"}],
                               title="Invalid Request", detail="One or more parameters to "
                               "your request was invalid.", status=400), 400
            tweet_id = str(next(provider.ids))
            with provider.lock:
                provider.state.posts[tweet_id] = {"network": "x", "author": user["id"],
                                                  "text": text}
            return jsonify(data={"id": tweet_id, "text": text,
                                 "edit_history_tweet_ids": [tweet_id]}), 201

        @app.get("/2/tweets/<tweet_id>")
        def x_tweet(tweet_id):
            with provider.lock:
                _user, error = provider._bearer("x")
                if error:
                    return error
                failed = provider._failure("metrics")
                if failed is not None:
                    return failed
                post = provider.state.posts.get(tweet_id)
                m = provider.state.metrics.get(tweet_id, {})
            if post is None:
                return jsonify(errors=[{"value": tweet_id, "detail": "Could not find tweet "
                                        f"with id: [{tweet_id}].", "title": "Not Found Error",
                                        "type": "https://api.twitter.com/2/problems/"
                                                "resource-not-found"}]), 200
            data = {"id": tweet_id, "text": post["text"],
                    "edit_history_tweet_ids": [tweet_id]}
            if "public_metrics" in request.args.get("tweet.fields", "").split(","):
                data["public_metrics"] = {
                    "retweet_count": m.get("retweets", 0), "reply_count": m.get("replies", 0),
                    "like_count": m.get("likes", 0), "quote_count": m.get("quotes", 0),
                    "bookmark_count": 0, "impression_count": m.get("impressions", 0)}
            return jsonify(data=data)

        return app


@pytest.fixture(scope="session")
def fake_provider_server():
    provider = FakeProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def fake(fake_provider_server):
    fake_provider_server.reset()
    return fake_provider_server

"""Security events (app/common/security_events.py, docs/security.md item 9): every refusal
is one structured record on the ``relais.security`` logger; the text log format keeps a
record on one line."""

from __future__ import annotations

import logging

import pytest

from app.common.request_log import TextFormatter
from tests import factories
from tests.test_auth import login

LOGGER = "relais.security"


def events(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == LOGGER]


@pytest.fixture(autouse=True)
def _capture(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)


def test_a_forbidden_page_is_an_authz_event(client, auth, caplog):
    me = auth.as_role("employee")
    assert client.get("/admin/people").status_code == 403
    (event,) = events(caplog)
    assert event["event"] == "authz.denied" and event["status"] == 403
    assert event["user_id"] == me.id and event["path"] == "/admin/people"
    assert event["method"] == "GET" and event["remote_addr"] == "127.0.0.1"


def test_ordinary_answers_are_not_events(client, auth, caplog):
    auth.as_role("employee")
    assert client.get("/").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/login").status_code in (200, 302)
    assert events(caplog) == []


def test_a_form_without_its_csrf_token_is_an_event(csrf_app, db, caplog):
    factories.UserFactory(email="c@acme.test")
    response = csrf_app.test_client().post("/login", data={"email": "c@acme.test",
                                                          "password": factories.PASSWORD})
    assert response.status_code == 400
    assert [e["event"] for e in events(caplog)] == ["csrf.failed"]


def test_a_refused_api_token_is_an_event(client, caplog):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer rls_" + "x" * 43})
    assert response.status_code == 401
    assert [e["event"] for e in events(caplog)] == ["api.token_refused"]


def test_a_refused_webhook_signature_is_an_event(app, client, caplog):
    app.config["CONVERSION_WEBHOOK_SECRET"] = "s" * 32
    response = client.post("/api/v1/conversions", data=b"{}",
                           headers={"Content-Type": "application/json",
                                    "X-Relais-Timestamp": "1", "X-Relais-Signature": "v1=00"})
    assert response.status_code == 401
    assert [e["event"] for e in events(caplog)] == ["webhook.signature_refused"]


@pytest.mark.usefixtures("fresh_limiter")
class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1 per minute"}

    def test_a_rate_limit_hit_is_an_event(self, client, db, caplog):
        factories.UserFactory(email="r@acme.test")
        login(client, "r@acme.test", "wrong password here")
        assert login(client, "r@acme.test").status_code == 429
        assert [e["event"] for e in events(caplog)] == ["ratelimit.hit"]


def test_a_session_restored_from_the_remember_cookie_is_an_event(client, db, caplog):
    user = factories.UserFactory(email="m@acme.test")
    assert login(client, "m@acme.test", remember=True).status_code == 302
    client.delete_cookie("session")
    assert client.get("/").status_code == 200
    (event,) = events(caplog)
    assert event["event"] == "auth.remember_login" and event["user_id"] == user.id
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.INFO]


def test_the_text_format_keeps_a_record_on_one_line():
    record = logging.LogRecord("relais.request", logging.INFO, __file__, 1,
                               "GET %s 404", ("/x\nFAKE 200 line\r",), None)
    line = TextFormatter().format(record)
    assert "\n" not in line and "\r" not in line
    assert "GET /x\\nFAKE 200 line\\r 404" in line

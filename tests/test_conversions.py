"""The conversions webhook: signature and timestamp, validation, attribution, idempotency
(also under concurrency), problem+json errors, CSRF exemption, and the documented curl
example run for real against a local server."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.sharing import conversions as conv
from app.sharing.models import Conversion, Share, ShareMethod, ShareStatus
from tests.factories import UserFactory

SECRET = "test-webhook-secret-0123456789"
URL = "/api/v1/conversions"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "sharing.md"
_n = itertools.count(1)


@pytest.fixture
def app_overrides():
    return {"CONVERSION_WEBHOOK_SECRET": SECRET}


def make_share(db, *, code: str | None = None) -> Share:
    n = next(_n)
    user = UserFactory()
    item = ContentItem(url=f"https://www.acme.example/conv/{n}", slug=f"conv-item-{n}",
                       title=f"Item {n}", status=ContentStatus.PUBLISHED, published_at=utcnow())
    db.add(item)
    db.flush()
    share = Share(code=code or f"cv{n:06d}x", user_id=user.id, item_id=item.id,
                  network="linkedin", method=ShareMethod.INTENT, status=ShareStatus.OPENED)
    db.add(share)
    db.flush()
    return share


def event(share_code: str, **fields) -> dict:
    body = {"event_id": f"evt-{next(_n)}", "share_code": share_code, "type": "lead",
            "value": 120.5, "currency": "EUR", "occurred_at": "2026-11-24T09:30:00Z"}
    body.update(fields)
    return body


def post(client, payload=None, *, body: bytes | None = None, ts: int | None = None,
         secret: str = SECRET, signature: str | None = None, headers: dict | None = None):
    raw = body if body is not None else json.dumps(payload).encode()
    ts = int(time.time()) if ts is None else ts
    sent = {"Content-Type": "application/json", "X-Relais-Timestamp": str(ts),
            "X-Relais-Signature": signature or conv.sign(secret, ts, raw)}
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post(URL, data=raw, headers=sent)


def count(db, model=Conversion) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith(conv.PROBLEM_BASE)
    if slug:
        assert body["type"] == conv.PROBLEM_BASE + slug
    return body


# --- the happy path and idempotency ----------------------------------------------------------


def test_a_signed_conversion_is_recorded_and_attributed_to_the_share(client, db):
    share = make_share(db)
    payload = event(share.code, extra={"campaign": "q4"})
    response = post(client, payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "created" and body["share_code"] == share.code
    db.expire_all()
    row = db.get(Conversion, body["conversion_id"])
    assert row.share_id == share.id
    assert row.event_id == payload["event_id"] and row.type == "lead"
    assert row.value == Decimal("120.50") and row.currency == "EUR"
    assert row.occurred_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert row.payload["extra"] == {"campaign": "q4"}
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "conversion.received"))
    assert audit.actor_id is None and audit.target_id == row.id
    assert audit.details["event_id"] == payload["event_id"]
    assert audit.details["share_id"] == share.id


def test_optional_fields_default(client, db):
    share = make_share(db)
    payload = {"event_id": "minimal-1", "share_code": share.code, "type": "signup"}
    before = utcnow()
    response = post(client, payload)
    assert response.status_code == 201
    db.expire_all()
    row = db.get(Conversion, response.get_json()["conversion_id"])
    assert row.value is None and row.currency == ""
    assert before - timedelta(seconds=1) <= row.occurred_at <= utcnow()


def test_a_replayed_event_is_a_duplicate_and_writes_nothing(client, db):
    share = make_share(db)
    payload = event(share.code)
    first = post(client, payload)
    assert first.status_code == 201
    audits = count(db, AuditEvent)
    # the CRM retries later: fresh timestamp and signature, same event id
    again = post(client, payload, ts=int(time.time()) + 1)
    assert again.status_code == 200
    assert again.get_json() == {"status": "duplicate",
                                "conversion_id": first.get_json()["conversion_id"]}
    assert count(db) == 1
    assert count(db, AuditEvent) == audits


def test_the_integrity_error_path_answers_duplicate(db, monkeypatch, app):
    """A concurrent request inserted the event between our lookup and our INSERT: the unique
    constraint fails inside a savepoint, the transaction lives on, the answer is duplicate."""
    share = make_share(db)
    first = conv.record_conversion(db, conv.ConversionEvent(
        event_id="race-1", share_code=share.code, type="lead", value=None, currency="",
        occurred_at=utcnow()))
    assert first.created
    calls = []
    real = conv._by_event_id

    def lookup_misses_first_time(session, event_id):
        calls.append(event_id)
        return None if len(calls) == 1 else real(session, event_id)

    monkeypatch.setattr(conv, "_by_event_id", lookup_misses_first_time)
    outcome = conv.record_conversion(db, conv.ConversionEvent(
        event_id="race-1", share_code=share.code, type="lead", value=None, currency="",
        occurred_at=utcnow()))
    assert not outcome.created and outcome.conversion.id == first.conversion.id
    assert len(calls) == 2
    # the outer transaction is intact: the first row is still there and we can go on writing
    assert count(db) == 1
    make_share(db)


def test_two_threads_posting_the_same_event_record_it_once(engine, database_url, mailer,
                                                           monkeypatch):
    """A real race, on real separate connections and committed transactions (the per-test
    rolled-back connection cannot show it). On PostgreSQL both requests pass the lookup
    before either inserts (a barrier forces it), so the loser hits the unique constraint;
    on SQLite writers are serialised by BEGIN IMMEDIATE and the second sees the first."""
    from app import create_app
    from app.db import Database
    from tests.conftest import test_config

    database = Database(database_url, engine=engine)
    application = create_app(test_config(database_url, RELAIS_DATABASE=database,
                                         RELAIS_MAILER=mailer,
                                         CONVERSION_WEBHOOK_SECRET=SECRET))
    tag = f"{next(_n)}-{int(time.time() * 1000)}"
    with database.unit_of_work() as s:
        user = UserFactory.build(email=f"race-{tag}@acme.test")
        s.add(user)
        s.flush()
        item = ContentItem(url="https://www.acme.example/race", slug=f"race-{tag}",
                           title="Race", status=ContentStatus.PUBLISHED)
        s.add(item)
        s.flush()
        share = Share(code=f"race{tag}"[:16], user_id=user.id, item_id=item.id,
                      network="x", method=ShareMethod.INTENT, status=ShareStatus.OPENED)
        s.add(share)
        s.flush()
        ids = (user.id, item.id, share.id, share.code)
    user_id, item_id, share_id, code = ids

    on_postgres = database.engine.dialect.name == "postgresql"
    lookups: list[str] = []
    if on_postgres:
        barrier = threading.Barrier(2, timeout=10)
        real = conv._by_event_id
        first_call = threading.local()

        def lookup_then_wait(session, event_id):
            lookups.append(event_id)
            found = real(session, event_id)
            if not getattr(first_call, "done", False):
                first_call.done = True
                barrier.wait()
            return found

        monkeypatch.setattr(conv, "_by_event_id", lookup_then_wait)

    payload = json.dumps({"event_id": f"race-{tag}", "share_code": code, "type": "lead"}
                         ).encode()
    results: list = []

    def send():
        with application.test_client() as c:
            results.append(post(c, body=payload))

    try:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 201], [r.get_data(as_text=True) for r in results]
        ids_answered = {r.get_json()["conversion_id"] for r in results}
        assert len(ids_answered) == 1
        if on_postgres:  # both looked up, one lost the INSERT and looked up again
            assert len(lookups) == 3
        with database.unit_of_work(write=False) as s:
            assert s.scalar(select(func.count()).select_from(Conversion).where(
                Conversion.event_id == f"race-{tag}")) == 1
    finally:
        with database.unit_of_work() as s:
            s.execute(Conversion.__table__.delete().where(Conversion.share_id == share_id))
            s.execute(AuditEvent.__table__.delete().where(
                AuditEvent.action == "conversion.received",
                AuditEvent.details["share_id"].as_integer() == share_id))
            s.execute(Share.__table__.delete().where(Share.id == share_id))
            s.execute(ContentItem.__table__.delete().where(ContentItem.id == item_id))
            from app.accounts.models import User

            s.execute(User.__table__.delete().where(User.id == user_id))


# --- refusals ----------------------------------------------------------------------------------


def test_a_tampered_body_is_refused(client, db):
    share = make_share(db)
    raw = json.dumps(event(share.code)).encode()
    ts = int(time.time())
    signature = conv.sign(SECRET, ts, raw)
    tampered = raw.replace(b'"lead"', b'"purchase"')
    body = assert_problem(post(client, body=tampered, ts=ts, signature=signature), 401,
                          "bad-signature")
    assert "signature" in body["detail"].lower()
    assert count(db) == 0


@pytest.mark.parametrize("signature", [
    "sha256=" + "0" * 64, "sha256=zz", "0" * 64, "sha1=abc", "sha256=",
])
def test_a_wrong_or_malformed_signature_is_refused(client, db, signature):
    share = make_share(db)
    assert_problem(post(client, event(share.code), signature=signature), 401, "bad-signature")
    assert count(db) == 0


def test_a_signature_made_with_another_secret_is_refused(client, db):
    share = make_share(db)
    assert_problem(post(client, event(share.code), secret="not-the-secret"), 401,
                   "bad-signature")


def test_the_timestamp_is_part_of_the_signature(client, db):
    share = make_share(db)
    raw = json.dumps(event(share.code)).encode()
    ts = int(time.time())
    assert_problem(post(client, body=raw, ts=ts + 1, signature=conv.sign(SECRET, ts, raw)),
                   401, "bad-signature")


def test_an_uppercase_hex_signature_is_accepted(client, db):
    share = make_share(db)
    raw = json.dumps(event(share.code)).encode()
    ts = int(time.time())
    sig = conv.sign(SECRET, ts, raw)
    assert post(client, body=raw, ts=ts, signature="sha256=" + sig[7:].upper()
                ).status_code == 201


@pytest.mark.parametrize("missing", ["X-Relais-Timestamp", "X-Relais-Signature"])
def test_missing_headers_are_refused(client, db, missing):
    share = make_share(db)
    assert_problem(post(client, event(share.code), headers={missing: None}), 401,
                   "missing-signature")


def test_a_non_numeric_timestamp_is_refused(client, db):
    share = make_share(db)
    raw = json.dumps(event(share.code)).encode()
    assert_problem(post(client, body=raw, signature=conv.sign(SECRET, "soon", raw),
                        headers={"X-Relais-Timestamp": "soon"}), 401, "bad-timestamp")


def test_an_old_timestamp_is_refused_even_correctly_signed(client, db):
    share = make_share(db)
    ten_minutes_ago = int(time.time()) - 600
    body = assert_problem(post(client, event(share.code), ts=ten_minutes_ago), 401,
                          "stale-timestamp")
    assert "old" in body["detail"]
    assert count(db) == 0


def test_a_timestamp_from_the_future_is_refused(client, db):
    share = make_share(db)
    body = assert_problem(post(client, event(share.code), ts=int(time.time()) + 600), 401,
                          "future-timestamp")
    assert "ahead" in body["detail"]


def test_a_captured_request_replayed_after_the_window_is_refused(client, db):
    """time_machine: the same signed bytes work now and fail six minutes later."""
    share = make_share(db)
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    raw = json.dumps(event(share.code, event_id="captured",
                           occurred_at="2026-11-24T08:30:00Z")).encode()
    ts = int(start.timestamp())
    with time_machine.travel(start + timedelta(seconds=299), tick=False):
        assert post(client, body=raw, ts=ts).status_code == 201
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert_problem(post(client, body=raw, ts=ts), 401, "stale-timestamp")


def test_the_skew_is_configurable(app, client, db):
    app.config["CONVERSION_MAX_SKEW_SECONDS"] = 30
    share = make_share(db)
    assert_problem(post(client, event(share.code), ts=int(time.time()) - 60), 401,
                   "stale-timestamp")


def test_without_a_secret_the_webhook_is_disabled(app, client, db):
    app.config["CONVERSION_WEBHOOK_SECRET"] = ""
    share = make_share(db)
    assert_problem(post(client, event(share.code), secret=""), 503, "disabled")
    assert count(db) == 0


def test_a_body_over_64_kb_is_refused(client, db):
    share = make_share(db)
    payload = event(share.code, padding="x" * (64 * 1024))
    assert_problem(post(client, payload), 413, "too-large")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"lead"', b"\xff\xfe{}",
                                 b'{"event_id": NaN}', b""])
def test_malformed_json_is_422(client, db, raw):
    assert_problem(post(client, body=raw), 422, "malformed-json")


@pytest.mark.parametrize(("fields", "bad"), [
    ({"event_id": None}, "event_id"),
    ({"event_id": ""}, "event_id"),
    ({"event_id": "e" * 201}, "event_id"),
    ({"event_id": 42}, "event_id"),
    ({"share_code": None}, "share_code"),
    ({"type": None}, "type"),
    ({"type": "t" * 65}, "type"),
    ({"value": "12.50"}, "value"),
    ({"value": True}, "value"),
    ({"value": -1}, "value"),
    ({"value": 1e15}, "value"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "€"}, "currency"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": 1732440600}, "occurred_at"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
])
def test_invalid_fields_are_422_with_details(client, db, fields, bad):
    share = make_share(db)
    payload = {**event(share.code), **fields}
    payload = {k: v for k, v in payload.items() if v is not None}
    body = assert_problem(post(client, payload), 422, "invalid-fields")
    assert bad in [e["field"] for e in body["errors"]]
    assert count(db) == 0


def test_every_invalid_field_is_listed(client, db):
    body = assert_problem(post(client, {"value": "x", "currency": 5}), 422, "invalid-fields")
    assert {e["field"] for e in body["errors"]} == {"event_id", "share_code", "type", "value",
                                                    "currency"}


def test_an_unknown_share_code_is_404_and_reveals_nothing(client, db):
    make_share(db)
    body = assert_problem(post(client, event("nope-not-a-code")), 404, "unknown-share")
    assert set(body) == {"type", "title", "status", "detail"}
    assert "nope" not in json.dumps(body)
    assert count(db) == 0


def test_the_currency_is_upper_cased_and_the_value_rounded(client, db):
    share = make_share(db)
    response = post(client, event(share.code, currency="usd", value=10.005))
    assert response.status_code == 201
    db.expire_all()
    row = db.get(Conversion, response.get_json()["conversion_id"])
    assert row.currency == "USD" and row.value == Decimal("10.01")


def test_occurred_at_offsets_are_converted_to_utc(client, db):
    share = make_share(db)
    response = post(client, event(share.code, occurred_at="2026-11-24T10:30:00+01:00"))
    db.expire_all()
    row = db.get(Conversion, response.get_json()["conversion_id"])
    assert row.occurred_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_other_methods_are_not_allowed(client):
    # GET is the API's list of conversions (app/api/conversions.py): a token is needed
    assert client.get(URL).status_code == 401
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.open(URL, method=method)
        assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"


# --- CSRF, rate limit ----------------------------------------------------------------------------


def test_csrf_protection_does_not_block_the_webhook(csrf_app, db):
    csrf_app.config["CONVERSION_WEBHOOK_SECRET"] = SECRET
    share = make_share(db)
    client = csrf_app.test_client()
    assert post(client, event(share.code)).status_code == 201
    # while a form POST without the token is still refused
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400


@pytest.mark.usefixtures("fresh_limiter")
class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"CONVERSION_WEBHOOK_SECRET": SECRET, "RATELIMIT_ENABLED": True}

    def test_the_webhook_is_limited_to_600_a_minute_per_address(self, client, db):
        share = make_share(db)
        raw = json.dumps(event(share.code)).encode()
        statuses = [post(client, body=raw).status_code for _ in range(600)]
        assert statuses[0] == 201 and set(statuses[1:]) == {200}
        assert_problem(post(client, body=raw), 429, "rate-limited")
        # another address has its own budget
        ts = int(time.time())
        other = client.post(URL, data=raw, environ_base={"REMOTE_ADDR": "10.9.9.9"},
                            headers={"X-Relais-Timestamp": str(ts),
                                     "X-Relais-Signature": conv.sign(SECRET, ts, raw)})
        assert other.status_code == 200


# --- the documented example -------------------------------------------------------------------


def _doc_example() -> str:
    text = DOCS.read_text()
    match = re.search(r"### Example with `curl` and `openssl`\n\n```sh\n(.*?)```", text, re.S)
    assert match, "docs/sharing.md lost its curl example"
    return match.group(1)


def test_the_documented_openssl_signature_matches_ours():
    script = _doc_example()
    body = re.search(r"^BODY='(.*)'$", script, re.M).group(1)
    secret = re.search(r"^SECRET='(.*?)'", script, re.M).group(1)
    assert "printf '%s.%s' \"$TS\" \"$BODY\"" in script
    assert "openssl dgst -sha256 -hmac \"$SECRET\"" in script
    assert "sha256=$SIG" in script and "--data-binary \"$BODY\"" in script
    if shutil.which("openssl"):
        out = subprocess.run(
            ["bash", "-c", f"printf '%s.%s' 1732440600 '{body}' | "
                           f"openssl dgst -sha256 -hmac '{secret}' -r | cut -d' ' -f1"],
            capture_output=True, text=True, check=True).stdout.strip()
        assert "sha256=" + out == conv.sign(secret, 1732440600, body.encode())


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")),
                    reason="needs curl and openssl")
def test_the_documented_curl_example_works_against_a_live_server(app, db):
    from werkzeug.serving import make_server

    script = _doc_example()
    body = json.loads(re.search(r"^BODY='(.*)'$", script, re.M).group(1))
    make_share(db, code=body["share_code"])
    doc_secret = re.search(r"^SECRET='(.*?)'", script, re.M).group(1)
    app.config["CONVERSION_WEBHOOK_SECRET"] = doc_secret
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        runnable = re.sub(r"^RELAIS=.*$", f"RELAIS=http://127.0.0.1:{server.server_port}",
                          script, flags=re.M)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", runnable],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["status"] == "created" and answer["share_code"] == body["share_code"]
        # running it again is a duplicate
        again = json.loads(subprocess.run(["bash", "-euo", "pipefail", "-c", runnable],
                                          capture_output=True, text=True, timeout=30).stdout)
        assert again == {"status": "duplicate", "conversion_id": answer["conversion_id"]}
    finally:
        server.shutdown()
        thread.join(5)
    db.expire_all()
    row = db.get(Conversion, answer["conversion_id"])
    assert row.event_id == body["event_id"] and row.value == Decimal("120.50")

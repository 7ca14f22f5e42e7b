"""What an operator relies on (docs/deploy.md): one log line per request with a request id,
the proxy headers trusted only when configured, the JSON log format, and /metrics."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from app.common.request_log import JsonFormatter, current_request_id
from app.db import utcnow
from app.jobs.models import JobRun, JobStatus
from tests import factories


def _get(client, path: str, **kwargs):
    """A request whose response is closed, as a WSGI server does: the line is written
    once the body has been sent."""
    response = client.get(path, **kwargs)
    response.close()
    return response


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "relais.request"]


def test_every_response_has_a_request_id_and_one_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="relais.request")
    first = _get(client, "/healthz")
    second = _get(client, "/no-such-page")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(len(i) == 16 for i in ids) and ids[0] != ids[1]
    lines = _request_lines(caplog)
    assert [(r.fields["method"], r.fields["path"], r.fields["status"]) for r in lines] == [
        ("GET", "/healthz", 200), ("GET", "/no-such-page", 404)]
    assert [r.fields["request_id"] for r in lines] == ids
    assert all(r.fields["duration_ms"] >= 0 for r in lines)


def test_the_log_line_names_the_signed_in_person_and_never_the_query_string(
        client, auth, caplog):
    caplog.set_level(logging.INFO, logger="relais.request")
    user = auth.as_role("employee")
    _get(client, "/notices?page=1&secret=abc")
    line = _request_lines(caplog)[-1]
    assert line.fields["user_id"] == user.id
    assert line.fields["path"] == "/notices" and "secret" not in line.getMessage()


def test_tokens_in_paths_never_reach_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="relais.request")
    _get(client, "/reset/secret-reset-token-123")
    _get(client, "/invitation/secret-invite-token-456")
    _get(client, "/certificates/verify/secret-code-789")
    paths = [r.fields["path"] for r in _request_lines(caplog)]
    assert paths == ["/reset/[token]", "/invitation/[token]", "/certificates/verify/[code]"]
    assert not any("secret" in r.getMessage() for r in _request_lines(caplog))


def test_a_client_cannot_choose_its_request_id_or_address_without_a_trusted_proxy(
        client, caplog):
    caplog.set_level(logging.INFO, logger="relais.request")
    response = _get(client, "/healthz", headers={"X-Request-ID": "chosen-by-client-1",
                                               "X-Forwarded-For": "203.0.113.9"})
    assert response.headers["X-Request-ID"] != "chosen-by-client-1"
    assert _request_lines(caplog)[-1].fields["remote_addr"] != "203.0.113.9"


@pytest.fixture
def behind_proxy(app_overrides):
    app_overrides["PROXY_FIX_HOPS"] = 1


def test_behind_a_configured_proxy_its_headers_and_request_id_are_used(
        behind_proxy, client, caplog):
    caplog.set_level(logging.INFO, logger="relais.request")
    response = _get(client, "/healthz", headers={
        "X-Request-ID": "proxy-request-0042", "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
        "X-Forwarded-Proto": "https"})
    assert response.headers["X-Request-ID"] == "proxy-request-0042"
    # one hop: the address the proxy saw (the last one), not what the client claimed
    assert _request_lines(caplog)[-1].fields["remote_addr"] == "203.0.113.9"
    bad = _get(client, "/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert bad.headers["X-Request-ID"] != "bad id; <script>"


def test_the_json_format_is_one_object_per_line_with_the_request_id():
    record = logging.LogRecord("relais.request", logging.INFO, __file__, 1, "GET / %s",
                               (200,), None)
    record.fields = {"status": 200, "path": "/"}
    token = current_request_id.set("abcd1234abcd1234")
    try:
        line = JsonFormatter().format(record)
    finally:
        current_request_id.reset(token)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "GET / 200" and entry["request_id"] == "abcd1234abcd1234"
    assert entry["status"] == 200 and entry["level"] == "info"


# --- /metrics ------------------------------------------------------------------------------


def test_metrics_are_off_until_a_token_is_configured(client):
    assert client.get("/metrics").status_code == 404


@pytest.fixture
def metrics_token(app_overrides):
    app_overrides["METRICS_TOKEN"] = "m" * 32
    return "m" * 32


def test_metrics_need_the_token(metrics_token, client, auth):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth.as_role("admin")  # a session is not the token
    assert client.get("/metrics").status_code == 401


def test_metrics_report_the_database_the_jobs_and_the_people(metrics_token, client, db):
    factories.UserFactory()
    now = utcnow()
    db.add_all([
        JobRun(job_id="analytics.tally", status=JobStatus.OK, started_at=now - timedelta(
            minutes=6), finished_at=now - timedelta(minutes=5)),
        JobRun(job_id="analytics.tally", status=JobStatus.FAILED, started_at=now,
               finished_at=now),
        JobRun(job_id="content.expire", status=JobStatus.OK, started_at=now, finished_at=now),
    ])
    db.flush()
    response = _get(client, "/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "relais_database_up 1\n" in body
    tally_ok = int((now - timedelta(minutes=5)).timestamp())
    assert f'relais_job_last_success_timestamp_seconds{{job="analytics.tally"}} {tally_ok}' in body
    assert 'relais_job_last_run_failed{job="analytics.tally"} 1' in body
    assert 'relais_job_last_run_failed{job="content.expire"} 0' in body
    assert 'relais_job_last_success_timestamp_seconds{job="accounts.prune"} 0' in body
    assert 'relais_people{status="active"} 1' in body
    assert "# TYPE relais_database_latency_seconds gauge" in body

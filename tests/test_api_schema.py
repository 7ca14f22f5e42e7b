"""The OpenAPI document: it validates against the OpenAPI 3.0 schema, documents every API
endpoint, and the API keeps its word — schemathesis generates requests from the whole
document and checks, for an admin's token and for an employee's, that no request makes a
server error and that every answer conforms to the documented schema."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.accounts.models import GroupKind, Role
from app.analytics import tally
from app.common.actor import Actor
from app.common.permissions import ROUTES
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.gamification.models import BadgeCriterion
from app.gamification.services import correct
from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus
from tests.factories import GroupFactory, TopicFactory, UserFactory
from tests.factories_api import Api
from tests.factories_gamification import badge
from tests.factories_training import make_course

SPEC_URL = "/api/v1/openapi.json"
#: examples per operation and generation mode: enough to hit the edges (empty, huge,
#: unicode, nulls, wrong types) while each role's run stays well under a minute
EXAMPLES = 10


@pytest.fixture
def app_overrides():
    # the webhook configured, as in production (unconfigured, it answers 503 on purpose)
    return {"CONVERSION_WEBHOOK_SECRET": "schemathesis-webhook-secret"}


def _path_pattern(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_document_validates_and_describes_every_api_endpoint(app, client):
    response = client.get(SPEC_URL)
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.0")
    schemathesis.openapi.from_dict(spec).validate()  # the official OpenAPI 3.0 JSON schema
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    missing = []
    for rule in app.url_map.iter_rules():
        access = ROUTES.get(rule.endpoint)
        if access is None or not access.token or access.public:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (_path_pattern(rule.rule), method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"undocumented API operations: {missing}"
    operation_ids = [op.get("operationId") for item in spec["paths"].values()
                     for method, op in item.items() if method != "parameters"]
    assert all(operation_ids) and len(operation_ids) == len(set(operation_ids))
    # the signed conversions webhook is documented too, without a token
    webhook = spec["paths"]["/api/v1/conversions"]["post"]
    assert webhook["security"] == [] and {p["name"] for p in webhook["parameters"]} == {
        "X-Relais-Timestamp", "X-Relais-Signature"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_error_is_documented_as_a_problem(client):
    spec = client.get(SPEC_URL).get_json()
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "default" in operation["responses"], f"{method} {path}"


def test_the_reference_page_lists_every_operation(client):
    spec = client.get(SPEC_URL).get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert f"<code class=\"text-break\">{path}</code>" in html, path
                assert operation["summary"] in html
    assert "Authorization: Bearer" in html and 'href="/api/v1/openapi.json"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


# --- schemathesis ------------------------------------------------------------------------------


@pytest.fixture
def scene(db):
    """Something behind the ids: people with employee numbers, groups, a published item,
    shares with clicks and conversions. Returns the path parameters worth pinning."""
    groups = [GroupFactory(kind=GroupKind.DEPARTMENT), GroupFactory(kind=GroupKind.TEAM)]
    TopicFactory()
    manager = UserFactory(role=Role.MANAGER, employee_number="M-1", groups=groups)
    people = [UserFactory(manager=manager, employee_number=f"E-{n}") for n in range(3)]
    item = ContentItem(url="https://www.acme.example/news", slug="news", title="News",
                       status=ContentStatus.PUBLISHED, published_at=utcnow())
    db.add(item)
    db.flush()
    shares = []
    for n, person in enumerate(people):
        share = Share(code=f"sc{n:06d}", user_id=person.id, item_id=item.id, network="linkedin",
                      method=ShareMethod.INTENT, status=ShareStatus.OPENED, reach=10)
        db.add(share)
        db.flush()
        shares.append(share)
        db.add(Click(share_id=share.id, at=utcnow(), visitor_hash="v" * 64))
        db.add(Conversion(event_id=f"ev-{n}", share_id=share.id, type="lead",
                          occurred_at=utcnow()))
    db.flush()
    # points, a badge, a course and the rollups (leaderboards, ledger, courses, analytics)
    course = make_course(db, group_ids=[groups[1].id])
    badge(db, BadgeCriterion.POINTS, 10)
    correct(db, user_id=people[1].id, points=25, reason="Welcome", actor=Actor(manager.id))
    tally.tally(db, utcnow() + timedelta(hours=1))
    return {"manager": manager, "pinned": {
        "user_id": people[1].id, "group_id": groups[1].id, "item_id": item.id,
        "share_id": shares[0].id, "employee_number": "E-2", "course_id": course.id,
        "dimension": "user"}}


def _run_schemathesis(app, secret: str, pinned: dict) -> None:
    """Every operation, generated requests (valid and invalid ones), then valid requests on
    ids that exist (random ids almost never do)."""
    schema = schemathesis.openapi.from_wsgi(SPEC_URL, app)
    checks = [not_a_server_error, response_schema_conformance]
    headers = {"Authorization": f"Bearer {secret}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path_names = {p.name for p in operation.path_parameters}
        runs = [(schemathesis.GenerationMode.POSITIVE, None),
                (schemathesis.GenerationMode.NEGATIVE, None)]
        if path_names:
            runs.append((schemathesis.GenerationMode.POSITIVE,
                         {name: pinned[name] for name in path_names}))
        for mode, path_parameters in runs:

            @given(case=operation.as_strategy(generation_mode=mode,
                                              path_parameters=path_parameters))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
            def run(case):
                case.call_and_validate(headers=headers, checks=checks)

            try:
                run()
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{operation.label} [{mode.value}, {path_parameters}]: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE], ids=lambda r: r.value)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, db, client, scene,
                                                                   role):
    api = Api(client, db)
    api.as_role(role, manager=scene["manager"] if role == Role.EMPLOYEE else None)
    _run_schemathesis(app, api.secret, scene["pinned"])

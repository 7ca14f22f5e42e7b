"""Idempotency-Key under a real race: two requests with the same key at the same moment
create one thing, and both get its answer."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import delete, func, select

from app.accounts.models import Group, Role
from app.api import idempotency, tokens
from app.api.models import ApiToken, IdempotencyRecord
from app.audit.models import AuditEvent
from tests.factories import UserFactory


def test_two_requests_with_the_same_key_at_once_create_one_group(engine, database_url,
                                                                 mailer, monkeypatch):
    """On real separate connections and committed transactions (the per-test rolled-back
    connection cannot show a race). On PostgreSQL a barrier makes both requests look the key
    up before either claims it: the second claim waits on the unique constraint, fails when
    the first commits, and answers with the first one's result. On SQLite writers are
    serialised (BEGIN IMMEDIATE) and the second simply finds the answer."""
    from app import create_app
    from app.common.actor import Actor
    from app.db import Database
    from tests.conftest import test_config

    database = Database(database_url, engine=engine)
    application = create_app(test_config(database_url, RELAIS_DATABASE=database,
                                         RELAIS_MAILER=mailer))
    tag = f"{int(time.time() * 1000)}"
    with application.app_context(), database.unit_of_work() as s:
        admin = UserFactory.build(email=f"race-{tag}@acme.example", role=Role.ADMIN)
        s.add(admin)
        s.flush()
        _token, secret = tokens.create_token(s, Actor(admin.id), admin, name="race")
        admin_id = admin.id

    lookups: list[int] = []
    if database.engine.dialect.name == "postgresql":
        barrier = threading.Barrier(2, timeout=10)
        real = idempotency._answered
        seen = threading.local()

        def lookup_then_wait(*args):
            lookups.append(1)
            found = real(*args)
            if not getattr(seen, "done", False):
                seen.done = True
                barrier.wait()
            return found

        monkeypatch.setattr(idempotency, "_answered", lookup_then_wait)

    body = json.dumps({"kind": "team", "name": f"Race {tag}"})
    results: list = []

    def send():
        with application.test_client() as c:
            results.append(c.post("/api/v1/groups", data=body, content_type="application/json",
                                  headers={"Authorization": f"Bearer {secret}",
                                           "Idempotency-Key": f"race-{tag}"}))

    try:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [r.status_code for r in results] == [201, 201], [
            r.get_data(as_text=True) for r in results]
        assert results[0].get_json() == results[1].get_json()
        assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
        if lookups:  # PostgreSQL: both looked up, the loser looked up again after waiting
            assert len(lookups) == 3
        with database.unit_of_work(write=False) as s:
            assert s.scalar(select(func.count()).select_from(Group)
                            .where(Group.name == f"Race {tag}")) == 1
    finally:
        with database.unit_of_work() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == admin_id))
            s.execute(delete(Group).where(Group.name == f"Race {tag}"))
            s.execute(delete(AuditEvent).where(AuditEvent.actor_id == admin_id))
            s.execute(delete(ApiToken).where(ApiToken.user_id == admin_id))
            from app.accounts.models import User

            s.execute(delete(User).where(User.id == admin_id))

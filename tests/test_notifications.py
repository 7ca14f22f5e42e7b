"""In-app notices: the bell's unread count, the list, opening and marking as read."""

from __future__ import annotations

import pytest
from flask_babel import gettext as _

from app.notifications import services
from app.notifications.kinds import notice_kind, render_notice
from app.notifications.models import Notice
from tests.factories import UserFactory


@notice_kind("test.hello")
def _hello(params):
    return _("Profile") + f": hello {params['who']}"


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def me(auth):
    return auth.as_role("employee")


def test_empty_state(client, me):
    page = client.get("/notices")
    assert page.status_code == 200
    assert 'data-testid="notices-empty"' in html(page)
    bell = client.get("/notices/bell")
    assert 'data-testid="bell-count"' not in html(bell)


def test_bell_counts_only_my_unread_notices(client, db, me):
    other = UserFactory()
    for who in ("a", "b"):
        services.notify(db, user_id=me.id, kind="test.hello", params={"who": who})
    services.notify(db, user_id=other.id, kind="test.hello", params={"who": "x"})
    read = services.notify(db, user_id=me.id, kind="test.hello", params={"who": "c"})
    services.mark_read(db, read)

    bell = html(client.get("/notices/bell"))
    assert 'data-testid="bell-count">2<' in bell

    page = html(client.get("/notices"))
    assert "hello a" in page and "hello b" in page and "hello c" in page
    assert "hello x" not in page


def test_notice_renders_in_the_readers_language(app, client, db, me):
    me.language = "fr"
    services.notify(db, user_id=me.id, kind="test.hello", params={"who": "a"})
    page = html(client.get("/notices"))
    assert "Profil: hello a" in page and "Profile: hello a" not in page


def test_open_marks_read_and_follows_the_link(client, db, me):
    notice = services.notify(db, user_id=me.id, kind="test.hello", params={"who": "a"},
                             link=("sharing.my_shares", {}))
    response = client.post(f"/notices/{notice.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/shares")
    db.refresh(notice)
    assert notice.read_at is not None


def test_open_without_link_returns_to_the_list(client, db, me):
    notice = services.notify(db, user_id=me.id, kind="test.hello", params={"who": "a"})
    response = client.post(f"/notices/{notice.id}/open")
    assert response.headers["Location"].endswith("/notices")


def test_someone_elses_notice_is_not_found(client, db, me):
    notice = services.notify(db, user_id=UserFactory().id, kind="test.hello",
                             params={"who": "a"})
    assert client.post(f"/notices/{notice.id}/open").status_code == 404
    db.refresh(notice)
    assert notice.read_at is None


def test_mark_all_read(client, db, me):
    other = UserFactory()
    mine = [services.notify(db, user_id=me.id, kind="test.hello", params={"who": w})
            for w in "ab"]
    theirs = services.notify(db, user_id=other.id, kind="test.hello", params={"who": "x"})
    assert client.post("/notices/read-all").status_code == 302
    for notice in [*mine, theirs]:
        db.refresh(notice)
    assert all(n.read_at for n in mine)
    assert theirs.read_at is None


def test_list_is_paginated(app, client, db, me):
    per_page = app.config["PER_PAGE"]
    for i in range(per_page + 3):
        services.notify(db, user_id=me.id, kind="test.hello", params={"who": f"n{i:03d}"})
    first = html(client.get("/notices"))
    second = html(client.get("/notices?page=2"))
    assert first.count("hello n") == per_page
    assert second.count("hello n") == 3


def test_unknown_kind_is_refused_when_writing_and_tolerated_when_reading(db, me):
    with pytest.raises(ValueError):
        services.notify(db, user_id=me.id, kind="nobody.registered")
    db.add(Notice(user_id=me.id, kind="gone.feature", params={"text": "old text"}))
    assert render_notice("gone.feature", {"text": "old text"}) == "old text"


def test_pages_need_a_signed_in_user(client):
    assert client.get("/notices").status_code in (302, 401)
    assert client.get("/notices/bell").status_code in (302, 401)


def test_bell_answers_before_the_policy_is_accepted(client, db, auth):
    """Every page loads the bell: it must not be redirected to the policy page (htmx would
    paste that page into the navbar)."""
    from tests.factories import PolicyFactory

    PolicyFactory(version=1, title="Policy", body_md="Rules.")
    user = auth.as_role("employee", accepted_policy_version=None)
    services.notify(db, user_id=user.id, kind="test.hello", params={"who": "a"})
    response = client.get("/notices/bell")
    assert response.status_code == 200
    assert 'data-testid="bell-count">1<' in html(response)
    assert client.get("/notices").status_code == 302  # the list itself waits for the policy

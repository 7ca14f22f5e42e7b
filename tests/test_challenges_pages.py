"""Challenge pages through HTTP: the curator's list, editor (times in the curator's zone,
the goal locked once started), detail and deletion; the employee's challenges and one
challenge with its progress bars and board; who may see what."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.db import utcnow
from app.gamification.models import Challenge, ChallengeGoal, ChallengeMode
from tests.factories import GroupFactory, TopicFactory, UserFactory
from tests.factories_boards import challenge, progress_row

NOW = utcnow()
DAY = timedelta(days=1)


def html(response) -> str:
    return response.get_data(as_text=True)


def local(dt: datetime, tz: str = "UTC") -> str:
    from zoneinfo import ZoneInfo

    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def form(**kwargs) -> dict:
    values = {"title": "Spring sprint", "description": "Share **five** items",
              "starts_at": "", "ends_at": local(NOW + 7 * DAY), "goal": "shares",
              "mode": "each", "target": "5", "topic_id": "0", "reward": "Lunch"}
    values.update(kwargs)
    return values


@pytest.fixture
def curator(auth):
    return auth.as_role(Role.CURATOR, timezone="Europe/Paris")


# --- curator pages ---


def test_the_list_starts_empty(client, curator):
    page = html(client.get("/curate/challenges"))
    assert "No challenge yet" in page and 'href="/curate/challenges/new"' in page


def test_creating_a_challenge(client, db, curator):
    sales, cloud = GroupFactory(name="Sales"), TopicFactory(name="Cloud")
    assert client.get("/curate/challenges/new").status_code == 200
    starts = (NOW + DAY).replace(second=0, microsecond=0)
    response = client.post("/curate/challenges/new", data=form(
        starts_at=local(starts, "Europe/Paris"), ends_at=local(starts + 7 * DAY, "Europe/Paris"),
        goal="unique_clicks", mode="team", target="200", topic_id=str(cloud.id),
        group_ids=[str(sales.id)]))
    assert response.status_code == 302
    ch = db.scalar(select(Challenge).where(Challenge.title == "Spring sprint"))
    assert response.headers["Location"].endswith(f"/curate/challenges/{ch.id}")
    # the curator typed Paris times: stored in UTC
    assert (ch.starts_at, ch.ends_at) == (starts, starts + 7 * DAY)
    assert (ch.goal, ch.mode, ch.target, ch.topic_id) == (ChallengeGoal.UNIQUE_CLICKS,
                                                          ChallengeMode.TEAM, 200, cloud.id)
    assert [g.name for g in ch.groups] == ["Sales"] and ch.reward == "Lunch"
    detail = html(client.get(f"/curate/challenges/{ch.id}"))
    assert "200 unique clicks together, on items about Cloud" in detail
    assert "Sales" in detail and "Edit" in detail


def test_an_empty_start_means_now(client, db, curator):
    assert client.post("/curate/challenges/new", data=form()).status_code == 302
    ch = db.scalar(select(Challenge))
    assert abs(ch.starts_at - utcnow()) < timedelta(minutes=1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": ""}, "This field is required"),
    ({"ends_at": ""}, "This field is required"),
    ({"target": "0"}, "Number must be"),
    ({"ends_at": local(NOW - DAY)}, "The end must come after the start"),
    ({"starts_at": local(NOW - 2 * DAY)}, "cannot start in the past"),
])
def test_an_invalid_form_is_shown_again_with_the_reason(client, db, curator, changes, message):
    response = client.post("/curate/challenges/new", data=form(**changes))
    assert response.status_code == 422
    assert message in html(response)
    assert db.scalar(select(Challenge)) is None


def test_editing_before_the_start_changes_everything(client, db, curator):
    ch = challenge(db, starts_at=NOW + DAY)
    page = html(client.get(f"/curate/challenges/{ch.id}/edit"))
    assert 'data-testid="locked-note"' not in page and 'value="Spring sprint"' in page
    response = client.post(f"/curate/challenges/{ch.id}/edit", data=form(
        title="Renamed", goal="points", target="100",
        starts_at=local(NOW + 2 * DAY, "Europe/Paris"),
        ends_at=local(NOW + 9 * DAY, "Europe/Paris")))
    assert response.status_code == 302, html(response)
    db.expire_all()
    assert (ch.title, ch.goal, ch.target) == ("Renamed", ChallengeGoal.POINTS, 100)


def test_a_started_challenge_keeps_its_goal(client, db, curator):
    ch = challenge(db)
    page = html(client.get(f"/curate/challenges/{ch.id}/edit"))
    assert 'data-testid="locked-note"' in page
    assert re.search(r'<select[^>]*disabled[^>]*name="goal"|<select[^>]*name="goal"[^>]*disabled',
                     page)
    # the browser does not send disabled fields: the title and end change, the goal stays
    response = client.post(f"/curate/challenges/{ch.id}/edit", data={
        "title": "Still sprinting", "description": "", "reward": "",
        "ends_at": local(NOW + 10 * DAY, "Europe/Paris")})
    assert response.status_code == 302, html(response)
    db.expire_all()
    assert ch.title == "Still sprinting" and ch.goal == ChallengeGoal.SHARES
    assert ch.ends_at == (NOW + 10 * DAY).replace(second=0, microsecond=0)
    # a crafted change of the goal is refused
    response = client.post(f"/curate/challenges/{ch.id}/edit", data={
        "title": "x", "ends_at": local(NOW + 10 * DAY, "Europe/Paris"), "goal": "points"})
    assert response.status_code == 422 and "can no longer change" in html(response)
    db.expire_all()
    assert ch.goal == ChallengeGoal.SHARES and ch.title == "Still sprinting"


def test_a_closed_challenge_cannot_be_edited_or_deleted(client, db, curator):
    ch = challenge(db)
    ch.closed_at = NOW
    db.flush()
    response = client.get(f"/curate/challenges/{ch.id}/edit")
    assert response.status_code == 302
    assert "closed" in html(client.get(response.headers["Location"]))
    page = html(client.get(f"/curate/challenges/{ch.id}"))
    assert "/delete" not in page
    response = client.post(f"/curate/challenges/{ch.id}/delete")
    assert response.status_code == 303
    assert db.get(Challenge, ch.id) is not None


def test_deleting_asks_first_then_deletes(client, db, curator):
    ch_id = challenge(db).id
    page = html(client.get(f"/curate/challenges/{ch_id}"))
    assert f'action="/curate/challenges/{ch_id}/delete"' in page and "data-confirm=" in page
    response = client.post(f"/curate/challenges/{ch_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/curate/challenges")
    db.expire_all()
    assert db.get(Challenge, ch_id) is None
    assert client.post(f"/curate/challenges/{ch_id}/delete").status_code == 404


def test_the_curator_detail_shows_progress_and_winners(client, db, curator):
    ann, bob = UserFactory(name="Ann Winner"), UserFactory(name="Bob Close")
    ch = challenge(db, target=3)
    progress_row(db, ch, ann, 4).won = True
    progress_row(db, ch, bob, 2)
    ch.closed_at = NOW
    db.flush()
    page = html(client.get(f"/curate/challenges/{ch.id}"))
    winners = page[page.index('data-testid="winners"'):]
    assert "Ann Winner" in winners[:200] and "Bob Close" not in winners[:200]
    assert 'data-testid="board-row"' in page and 'data-testid="my-progress"' not in page


def test_the_list_pages(client, db, curator, app):
    for i in range(app.config["PER_PAGE"] + 1):
        challenge(db, title=f"Challenge {i}")
    first = html(client.get("/curate/challenges"))
    assert first.count('data-testid="challenge-row"') == app.config["PER_PAGE"]
    second = html(client.get("/curate/challenges?page=2"))
    assert second.count('data-testid="challenge-row"') == 1


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_curator_pages_are_for_curators(client, auth, db, role):
    ch = challenge(db)
    auth.as_role(role)
    for url in ("/curate/challenges", "/curate/challenges/new", f"/curate/challenges/{ch.id}",
                f"/curate/challenges/{ch.id}/edit"):
        assert client.get(url).status_code == 403
    assert client.post(f"/curate/challenges/{ch.id}/delete").status_code == 403


def test_the_content_menu_links_to_challenges(client, curator):
    assert 'href="/curate/challenges"' in html(client.get("/"))


# --- employee pages ---


@pytest.fixture
def sales(db):
    return GroupFactory(name="Sales")


def test_the_employee_sees_the_challenges_of_their_audience(client, auth, db, sales):
    me = auth.login(UserFactory(name="Ann", groups=[sales]))
    active = challenge(db, title="Active one", target=4)
    challenge(db, title="Sales only", groups=[sales])
    challenge(db, title="Marketing only", groups=[GroupFactory(name="Marketing")])
    challenge(db, title="Next month", starts_at=NOW + 30 * DAY, ends_at=NOW + 40 * DAY)
    past = challenge(db, title="Last year", now=NOW - 400 * DAY, ends_at=NOW - 300 * DAY)
    past.closed_at = NOW - 300 * DAY
    progress_row(db, active, me, 3)

    page = html(client.get("/challenges"))

    sections = {name: page[page.index(f'data-testid="{name}"'):] for name in
                ("active", "upcoming", "past")}
    assert "Active one" in sections["active"].split('data-testid="upcoming"')[0]
    assert "Sales only" in sections["active"].split('data-testid="upcoming"')[0]
    assert "Next month" in sections["upcoming"].split('data-testid="past"')[0]
    assert "Last year" in sections["past"]
    assert "Marketing only" not in page
    assert "3 / 4" in page


def test_no_challenge_yet(client, auth):
    auth.as_role(Role.EMPLOYEE)
    page = html(client.get("/challenges"))
    assert 'data-testid="no-active"' in page and "Nothing planned yet" in page


def test_a_challenge_page_shows_both_progress_bars_and_the_board(client, auth, db, sales):
    me = auth.login(UserFactory(name="Ann Me", groups=[sales]))
    others = [UserFactory(name=f"Other {i}", groups=[sales]) for i in range(3)]
    UserFactory(name="Outsider")
    ch = challenge(db, title="Together", groups=[sales], mode=ChallengeMode.TEAM, target=20,
                   reward="Team lunch",
                   description="**Bold** <script>alert(1)</script> [x](javascript:alert(1))")
    progress_row(db, ch, me, 4)
    progress_row(db, ch, others[0], 6)

    page = html(client.get(f"/challenges/{ch.id}"))

    assert "Team lunch" in page and "20 shares together" in page
    assert "<strong>Bold</strong>" in page and "<script>alert" not in page
    assert 'href="javascript:' not in page
    mine = page[page.index('data-testid="my-progress"'):]
    assert '<progress max="20" value="4"' in mine
    team = page[page.index('data-testid="team-progress"'):]
    assert '<progress max="20" value="10"' in team and "10 / 20" in team
    assert "2 participants so far" in team
    board = page[page.index('data-testid="board-table"'):]
    assert board.index("Other 0") < board.index("Ann Me") and 'data-viewer="1"' in board
    assert f"period=challenge-{ch.id}" in page


def test_each_mode_team_bar_counts_people_who_reached_the_goal(client, auth, db, sales):
    me = auth.login(UserFactory(groups=[sales]))
    other = UserFactory(groups=[sales])
    ch = challenge(db, groups=[sales], target=2)
    progress_row(db, ch, me, 2)
    progress_row(db, ch, other, 1)
    team = html(client.get(f"/challenges/{ch.id}"))
    team = team[team.index('data-testid="team-progress"'):]
    assert "1 / 2" in team and "People who reached the goal" in team


def test_an_upcoming_challenge_has_no_board_yet(client, auth, db):
    auth.as_role(Role.EMPLOYEE)
    ch = challenge(db, starts_at=NOW + 2 * DAY, ends_at=NOW + 9 * DAY)
    page = html(client.get(f"/challenges/{ch.id}"))
    assert "The challenge starts" in page and 'data-testid="board-table"' not in page


def test_a_challenge_outside_ones_audience_is_404_except_for_curators(client, auth, db,
                                                                      sales):
    ch = challenge(db, groups=[sales])
    auth.as_role(Role.EMPLOYEE)
    assert client.get(f"/challenges/{ch.id}").status_code == 404
    assert client.get("/challenges/999999").status_code == 404
    auth.as_role(Role.CURATOR)
    assert client.get(f"/challenges/{ch.id}").status_code == 200


def test_the_winner_notice_leads_to_the_challenge(client, auth, db, app):
    from app.gamification.challenges import close_due

    me = auth.login(UserFactory())
    ch = challenge(db, now=NOW - 2 * DAY, ends_at=NOW - DAY, target=1, reward="Cake")
    progress_row(db, ch, me, 1)
    close_due(db, NOW)
    page = html(client.get("/notices"))
    assert f"You won the challenge “{ch.title}”! Reward: Cake" in page
    page = html(client.get(f"/challenges/{ch.id}"))
    assert "closed" in page and "won" in page


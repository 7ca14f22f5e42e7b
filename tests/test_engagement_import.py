"""Engagement CSV import: upload → preview with per-row errors → confirm; re-importing
updates the same snapshots; only curators and admins; the preview token cannot be forged,
reused by someone else, or kept forever."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.sharing import engagement as eng
from app.sharing.models import EngagementSnapshot, Share, ShareMethod, ShareStatus
from tests.factories import UserFactory

URL = "/curate/engagement/import"
CONFIRM = "/curate/engagement/import/confirm"
_n = itertools.count(1)


def make_share(db, code: str) -> Share:
    n = next(_n)
    user = UserFactory()
    item = ContentItem(url=f"https://www.acme.example/eng/{n}", slug=f"eng-item-{n}",
                       title=f"Item {n}", status=ContentStatus.PUBLISHED, published_at=utcnow())
    db.add(item)
    db.flush()
    share = Share(code=code, user_id=user.id, item_id=item.id, network="facebook",
                  method=ShareMethod.INTENT, status=ShareStatus.OPENED)
    db.add(share)
    db.flush()
    return share


@pytest.fixture
def shares(db):
    return make_share(db, "codeA1"), make_share(db, "codeB2")


VALID = (
    "share_code,taken_at,likes,comments,reshares,impressions\n"
    "codeA1,2026-11-20,42,5,3,1800\n"
    "codeA1,2026-11-21T09:00:00Z,57,6,4,2450\n"
    "codeB2,2026-11-21T10:30:00+01:00,1,0,0,\n"
)


def upload(client, text: str, filename: str = "engagement.csv"):
    return client.post(URL, data={"file": (io.BytesIO(text.encode()), filename)},
                       content_type="multipart/form-data")


def token_of(response) -> str:
    match = re.search(r'name="upload"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no confirm form on the preview"
    return match.group(1)


def snapshots(db) -> list[EngagementSnapshot]:
    db.expire_all()
    return list(db.scalars(select(EngagementSnapshot).order_by(EngagementSnapshot.share_id,
                                                               EngagementSnapshot.taken_at)))


def do_import(client, text: str):
    preview = upload(client, text)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    return preview, client.post(CONFIRM, data={"upload": token_of(preview)})


# --- the pages -------------------------------------------------------------------------------


def test_a_valid_file_is_previewed_then_imported(client, db, auth, shares):
    a, b = shares
    auth.as_role(Role.CURATOR)
    page = client.get(URL)
    assert page.status_code == 200 and "share_code,taken_at" in page.get_data(as_text=True)
    preview = upload(client, VALID)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'data-testid="valid-count">3<' in html and 'data-testid="error-count">0<' in html
    assert snapshots(db) == []  # nothing written before confirming
    done = client.post(CONFIRM, data={"upload": token_of(preview)})
    assert done.status_code == 302 and done.headers["Location"].endswith(URL)
    rows = snapshots(db)
    assert [(r.share_id, r.taken_at, r.likes, r.comments, r.reshares, r.impressions, r.source)
            for r in rows] == [
        (a.id, datetime(2026, 11, 20, tzinfo=UTC), 42, 5, 3, 1800, "csv"),
        (a.id, datetime(2026, 11, 21, 9, tzinfo=UTC), 57, 6, 4, 2450, "csv"),
        (b.id, datetime(2026, 11, 21, 9, 30, tzinfo=UTC), 1, 0, 0, 0, "csv"),
    ]
    flashed = client.get(URL).get_data(as_text=True)
    assert "3 new snapshots, 0 updated, 0 rows refused" in flashed
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "engagement.imported"))
    assert audit.details["created"] == 3 and audit.details["filename"] == "engagement.csv"


def test_re_importing_the_same_file_updates_instead_of_duplicating(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    do_import(client, VALID)
    assert len(snapshots(db)) == 3
    corrected = VALID.replace("42,5,3,1800", "50,7,3,2000")
    preview, _done = do_import(client, corrected)
    assert 'data-testid="update-count">3<' in preview.get_data(as_text=True)
    rows = snapshots(db)
    assert len(rows) == 3
    assert (rows[0].likes, rows[0].comments, rows[0].impressions) == (50, 7, 2000)
    assert "0 new snapshots, 3 updated" in client.get(URL).get_data(as_text=True)


def test_api_snapshots_at_the_same_moment_are_left_alone(client, db, auth, shares):
    a, _b = shares
    db.add(EngagementSnapshot(share_id=a.id, taken_at=datetime(2026, 11, 20, tzinfo=UTC),
                              source="api", likes=1, comments=1, reshares=1, impressions=1))
    db.flush()
    auth.as_role(Role.ADMIN)
    do_import(client, VALID)
    rows = snapshots(db)
    assert sorted(r.source for r in rows) == ["api", "csv", "csv", "csv"]
    assert next(r for r in rows if r.source == "api").likes == 1


def test_rows_with_errors_are_listed_and_left_out(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    text = (
        "share_code,taken_at,likes,comments,reshares,impressions\n"
        "codeA1,2026-11-20,42,5,3,1800\n"  # line 2: fine
        "nope99,2026-11-20,1,1,1,1\n"  # line 3: unknown share
        "codeB2,2026-13-45,1,1,1,1\n"  # line 4: bad date
        "codeB2,2026-11-20,many,1,-1,1.5\n"  # line 5: bad numbers
        "codeA1,2026-11-20T00:00:00Z,9,9,9,9\n"  # line 6: same moment as line 2
        "codeB2,2026-11-22,3,2,1,100\n"  # line 7: fine
    )
    preview = upload(client, text)
    html = preview.get_data(as_text=True)
    assert 'data-testid="valid-count">2<' in html and 'data-testid="error-count">4<' in html
    table = html[html.index('data-testid="row-errors"'):]
    assert "unknown share code “nope99”" in table
    assert "bad date “2026-13-45”" in table
    assert "bad number in likes: “many”" in table and "bad number in reshares: “-1”" in table
    assert "bad number in impressions: “1.5”" in table
    assert "duplicate of line 2" in table
    client.post(CONFIRM, data={"upload": token_of(preview)})
    rows = snapshots(db)
    assert [(r.likes, r.impressions) for r in rows] == [(42, 1800), (3, 100)]
    assert "2 new snapshots, 0 updated, 4 rows refused" in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(("text", "message"), [
    ("", "The file is empty."),
    ("share_code,likes\ncodeA1,1\n", "The file needs these columns: taken_at, comments"),
    ("\xff\xfe\x00garbage", None),
])
def test_unusable_files_are_refused_as_a_whole(client, db, auth, shares, text, message):
    auth.as_role(Role.CURATOR)
    response = upload(client, text)
    assert response.status_code == 422
    if message:
        assert message in response.get_data(as_text=True)


def test_a_file_with_no_valid_row_offers_no_confirm(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    response = upload(client, "share_code,taken_at,likes,comments,reshares,impressions\n"
                              "zzz,2026-11-20,1,1,1,1\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="upload"' not in html
    assert "No row can be imported" in html


def test_a_file_over_the_size_limit_is_refused(app, client, db, auth, shares):
    app.config["IMPORT_MAX_BYTES"] = 100
    auth.as_role(Role.CURATOR)
    response = upload(client, VALID * 3)
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)


def test_too_many_rows_are_refused(app, client, db, auth, shares):
    app.config["IMPORT_MAX_ROWS"] = 2
    auth.as_role(Role.CURATOR)
    response = upload(client, VALID)
    assert response.status_code == 422 and "more than 2 rows" in response.get_data(as_text=True)


def test_a_forged_token_imports_nothing(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    preview = upload(client, VALID)
    token = token_of(preview)
    response = client.post(CONFIRM, data={"upload": token[:-3] + "AAA"})
    assert response.status_code == 303
    assert snapshots(db) == []
    assert "expired" in client.get(URL).get_data(as_text=True)


def test_a_token_is_bound_to_the_uploader(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    token = token_of(upload(client, VALID))
    auth.as_role(Role.CURATOR)  # another curator
    assert client.post(CONFIRM, data={"upload": token}).status_code == 303
    assert snapshots(db) == []


def test_a_preview_expires_after_an_hour(client, db, auth, shares):
    auth.as_role(Role.CURATOR)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        token = token_of(upload(client, VALID))
    with time_machine.travel(start + timedelta(seconds=eng.PREVIEW_MAX_AGE_SECONDS + 5)):
        assert client.post(CONFIRM, data={"upload": token}).status_code == 303
    assert snapshots(db) == []


def test_confirm_without_a_token_is_400(client, db, auth):
    auth.as_role(Role.CURATOR)
    assert client.post(CONFIRM, data={}).status_code == 400


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_employees_and_managers_are_refused(client, db, auth, shares, role):
    auth.as_role(role)
    assert client.get(URL).status_code == 403
    assert upload(client, VALID).status_code == 403
    assert client.post(CONFIRM, data={"upload": "x"}).status_code == 403
    assert snapshots(db) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the parser --------------------------------------------------------------------------------


def test_parse_accepts_semicolons_aliases_blank_counts_and_spaced_thousands(db, shares):
    a, _b = shares
    text = ("Share code;Date;Likes;Comments;Shares;Views\n"
            "codeA1;2026-11-20 08:00;1 234;;2;12\u202f500\n")
    preview = eng.parse(db, text.encode(), max_rows=10)
    assert not preview.errors
    row = preview.rows[0]
    assert row["share_id"] == a.id and row["taken_at"] == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert (row["likes"], row["comments"], row["reshares"], row["impressions"]) == (
        1234, 0, 2, 12500)


def test_parse_refuses_a_date_in_the_future(db, shares):
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    preview = eng.parse(db, f"share_code,taken_at,likes,comments,reshares,impressions\n"
                            f"codeA1,{future},1,1,1,1\n".encode(), max_rows=10)
    assert preview.errors[0]["errors"] == ["date in the future"]


@pytest.mark.parametrize("value", ["2026-11-20", "2026-11-20T00:00:00", "2026-11-20T00:00:00Z",
                                   "2026-11-20T01:00:00+01:00", "2026-11-20 00:00:00"])
def test_every_spelling_of_one_moment_is_the_same_snapshot(value):
    assert eng.parse_taken_at(value) == datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize("value", ["", "20/11/2026", "2026-11", "yesterday", "2026-02-30"])
def test_bad_dates(value):
    with pytest.raises(ValueError):
        eng.parse_taken_at(value)


@pytest.mark.parametrize("value", ["-1", "1.5", "1e3", "٣", "99999999999", "abc", "+3"])
def test_bad_counts(value):
    with pytest.raises(ValueError):
        eng.parse_count(value)


def test_apply_counts_created_and_updated(db, shares):
    from app.common.actor import Actor

    actor = Actor(user_id=None, ip=None, user_agent="")
    first = eng.apply(db, actor, eng.parse(db, VALID.encode(), max_rows=10), filename="f.csv")
    again = eng.apply(db, actor, eng.parse(db, VALID.encode(), max_rows=10), filename="f.csv")
    assert (first.created, first.updated) == (3, 0)
    assert (again.created, again.updated) == (0, 3)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(EngagementSnapshot)) == 3

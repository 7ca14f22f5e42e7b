"""Curator pages over HTTP: who may see them, the content list (filters, status tabs,
pagination, bulk actions, a constant number of SQL statements), the editor (validation,
time zones, image upload), the item page and the lifecycle through its buttons, the review
queue and suggestions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.accounts.models import Role
from app.common.actor import Actor
from app.content import services
from app.content.models import ContentEvent, ContentItem, ContentOrigin, ContentStatus
from tests.factories import GroupFactory, TopicFactory, UserFactory

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def app_overrides(tmp_path):
    return {"CONTENT_UPLOAD_DIR": str(tmp_path / "uploads")}


def html(response) -> str:
    return response.get_data(as_text=True)


def make_item(db, author, *, status: ContentStatus = ContentStatus.DRAFT, **fields) -> ContentItem:
    fields.setdefault("url", "https://www.acme.example/news/post")
    fields.setdefault("title", "A post")
    item = services.create_item(db, Actor(author.id), services.ItemInput(**fields))
    item.status = status
    db.flush()
    return item


def reload(db, item: ContentItem) -> ContentItem:
    db.expire_all()
    return db.get(ContentItem, item.id)


def form_data(**changes) -> dict:
    data = {"url": "https://www.acme.example/blog/launch", "title": "We launched",
            "summary": "Our new product is out.", "image_url": "", "language": "en",
            "text_linkedin": "Proud of the team!", "text_x": "We launched!",
            "text_facebook": "", "hashtags": "#launch", "disclaimer": "", "priority": "0",
            "curator_notes": "", "publish_at": "", "expire_at": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- who may see the pages ---------------------------------------------------------------


CURATOR_PAGES = ["/curate/items", "/curate/review", "/curate/items/new",
                 "/curate/items/{id}", "/curate/items/{id}/edit"]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_employees_and_managers_are_refused(client, auth, db, role):
    item = make_item(db, UserFactory(role=Role.CURATOR))
    auth.as_role(role)
    for path in CURATOR_PAGES:
        assert client.get(path.format(id=item.id)).status_code == 403, path
    for path in (f"/curate/items/{item.id}/approve", "/curate/items/bulk", "/curate/preview",
                 "/curate/items/new"):
        assert client.post(path, data={}).status_code == 403, path
    assert reload(db, item).status == ContentStatus.DRAFT


@pytest.mark.parametrize("role", [Role.CURATOR, Role.ADMIN])
def test_curators_and_admins_see_every_page(client, auth, db, role):
    item = make_item(db, UserFactory(role=Role.CURATOR))
    auth.as_role(role)
    for path in CURATOR_PAGES:
        response = client.get(path.format(id=item.id))
        assert response.status_code == 200, path
    assert 'data-testid="content-menu"' in html(client.get("/curate/items"))


def test_the_content_menu_is_for_curators_only(client, auth, db):
    auth.as_role(Role.EMPLOYEE)
    response = client.get("/profile")
    assert 'data-testid="content-menu"' not in html(response)


def test_anonymous_visitors_go_to_sign_in(client):
    response = client.get("/curate/items")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_items_and_actions_are_404(client, auth, db):
    item = make_item(db, auth.as_role(Role.CURATOR))
    assert client.get("/curate/items/999999").status_code == 404
    assert client.get("/curate/items/999999/edit").status_code == 404
    assert client.post("/curate/items/999999/approve").status_code == 404
    assert client.post(f"/curate/items/{item.id}/destroy").status_code == 404


# --- the list --------------------------------------------------------------------------------


def test_list_filters_tabs_and_empty_states(client, auth, db):
    curator = auth.as_role(Role.CURATOR, name="Cora Curator")
    assert "No content yet." in html(client.get("/curate/items"))
    other = UserFactory(role=Role.CURATOR, name="Otto Other")
    topic, group = TopicFactory(name="Careers"), GroupFactory(name="Sales")
    make_item(db, curator, title="Alpha draft")
    make_item(db, curator, title="Bravo published", status=ContentStatus.PUBLISHED,
              topic_ids=[topic.id])
    make_item(db, other, title="Charlie targeted", status=ContentStatus.PUBLISHED,
              group_ids=[group.id], summary="about hiring")

    page = html(client.get("/curate/items"))
    assert all(t in page for t in ("Alpha draft", "Bravo published", "Charlie targeted"))
    tabs = page.split('data-testid="status-tabs"')[1].split("</ul>")[0]
    assert re.search(r'tab-published".*?>2</span>', tabs, re.S)
    assert re.search(r'tab-draft".*?>1</span>', tabs, re.S)

    def titles(query: str) -> set[str]:
        body = html(client.get("/curate/items?" + query))
        return {t for t in ("Alpha draft", "Bravo published", "Charlie targeted") if t in body}

    assert titles("status=published") == {"Bravo published", "Charlie targeted"}
    assert titles(f"topic={topic.id}") == {"Bravo published"}
    assert titles(f"group={group.id}") == {"Charlie targeted"}
    assert titles(f"author={other.id}") == {"Charlie targeted"}
    assert titles("q=HIRING") == {"Charlie targeted"}
    assert titles("status=archived") == set()
    assert "No item matches these filters." in html(client.get("/curate/items?q=nothing"))
    # junk in the query string is ignored, never an error
    assert client.get("/curate/items?status=bogus&topic=x&group=-1&page=abc").status_code == 200


def test_list_paginates(client, auth, db, app):
    curator = auth.as_role(Role.CURATOR)
    for i in range(app.config["PER_PAGE"] + 2):
        make_item(db, curator, title=f"Paged item {i:02d}")
    first = html(client.get("/curate/items"))
    assert first.count('data-testid="item-row"') == app.config["PER_PAGE"]
    assert "Page 1 of 2" in first
    second = html(client.get("/curate/items?page=2"))
    assert second.count('data-testid="item-row"') == 2


def _count_list_statements(app, client) -> int:
    engine = app.extensions["relais_db"].engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/curate/items")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def _items(db, curator, n: int, prefix: str) -> None:
    topics = [TopicFactory(name=f"{prefix} topic {i}") for i in range(3)]
    groups = [GroupFactory(name=f"{prefix} group {i}") for i in range(3)]
    authors = [curator] + [UserFactory(role=Role.CURATOR) for _ in range(2)]
    for i in range(n):
        make_item(db, authors[i % 3], title=f"{prefix} {i}", topic_ids=[topics[i % 3].id],
                  group_ids=[groups[i % 3].id, groups[(i + 1) % 3].id],
                  status=list(ContentStatus)[i % 6])


def test_list_issues_the_same_number_of_statements_for_3_and_40_items(client, auth, db, app):
    curator = auth.as_role(Role.CURATOR)
    _items(db, curator, 3, "small")
    small = _count_list_statements(app, client)
    _items(db, curator, 37, "large")
    large = _count_list_statements(app, client)
    assert small == large, (small, large)
    assert small <= 15


# --- bulk actions --------------------------------------------------------------------------


def test_bulk_archive_counts_the_skipped(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    draft = make_item(db, curator, title="d")
    published = make_item(db, curator, title="p", status=ContentStatus.PUBLISHED)
    archived = make_item(db, curator, title="a", status=ContentStatus.ARCHIVED)
    response = client.post("/curate/items/bulk", data={
        "action": "archive", "ids": [draft.id, published.id, archived.id]},
        follow_redirects=True)
    page = html(response)
    assert "2 item(s) archived." in page and "1 skipped" in page
    assert reload(db, draft).status == ContentStatus.ARCHIVED
    assert reload(db, published).status == ContentStatus.ARCHIVED


def test_bulk_expire_skips_items_that_are_not_live(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    live = make_item(db, curator, title="live", status=ContentStatus.PUBLISHED)
    scheduled = make_item(db, curator, title="later", status=ContentStatus.SCHEDULED)
    draft = make_item(db, curator, title="draft")
    response = client.post("/curate/items/bulk", data={
        "action": "expire", "ids": [live.id, scheduled.id, draft.id, 999999],
        "back": "/curate/items?status=published"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/curate/items?status=published")
    page = html(client.get("/curate/items"))
    assert "2 item(s) expired." in page and "2 skipped" in page
    assert reload(db, live).status == ContentStatus.EXPIRED
    assert reload(db, scheduled).status == ContentStatus.EXPIRED
    assert reload(db, draft).status == ContentStatus.DRAFT


def test_bulk_without_a_selection_or_with_a_foreign_back_link(client, auth, db):
    auth.as_role(Role.CURATOR)
    response = client.post("/curate/items/bulk", data={"action": "archive",
                                                       "back": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/curate/items")
    assert "Select at least one item." in html(client.get("/curate/items"))
    response = client.post("/curate/items/bulk", data={"action": "delete", "ids": ["1"]})
    assert response.status_code == 303


# --- the editor: create, validate, time zones ---------------------------------------------


def test_create_submit_approve_publish_through_the_pages(client, auth, db):
    curator = auth.as_role(Role.CURATOR, name="Cora Curator")
    topic, group = TopicFactory(name="Product"), GroupFactory(name="Marketing")
    response = client.post("/curate/items/new", data=form_data(
        topic_ids=[str(topic.id)], group_ids=[str(group.id)], target_languages=["fr"],
        priority="2", featured="y", text_locked="y", disclaimer="Ad."))
    assert response.status_code == 302
    item = db.scalar(select(ContentItem).where(ContentItem.title == "We launched"))
    assert item.status == ContentStatus.DRAFT and item.created_by_id == curator.id
    assert [t.id for t in item.topics] == [topic.id] and [g.id for g in item.groups] == [group.id]
    assert item.target_languages == "fr" and item.priority == 2 and item.featured
    assert item.text_locked and item.hashtags == "launch" and item.text_for("x") == "We launched!"
    assert response.headers["Location"].endswith(f"/curate/items/{item.id}")

    page = html(client.get(f"/curate/items/{item.id}", follow_redirects=True))
    assert "Draft created." in page and "Marketing" in page
    assert "Submit for review" in page and "Publish now" in page
    # the X text with hashtags, disclaimer and the link placeholder: 12+2+7+2+3+2+23 = 51
    assert "51 / 280 characters" in page

    assert client.post(f"/curate/items/{item.id}/submit").status_code == 302
    assert reload(db, item).status == ContentStatus.IN_REVIEW
    assert item.id and "We launched" in html(client.get("/curate/review"))

    response = client.post(f"/curate/items/{item.id}/approve", follow_redirects=True)
    assert "Published." in html(response)
    item = reload(db, item)
    assert item.status == ContentStatus.PUBLISHED and item.published_at is not None
    actions = [e.action for e in db.scalars(select(ContentEvent).where(
        ContentEvent.item_id == item.id).order_by(ContentEvent.id))]
    assert actions == ["created", "submit", "approve"]
    history = html(client.get(f"/curate/items/{item.id}")).split('data-testid="history"')[1]
    assert "approved" in history and "Cora Curator" in history


def test_publish_with_a_future_time_schedules(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    later = datetime.now(UTC) + timedelta(days=3)
    item = make_item(db, curator, publish_at=later)
    page = html(client.get(f"/curate/items/{item.id}"))
    assert "Schedule" in page and "Publish now" not in page
    response = client.post(f"/curate/items/{item.id}/publish", follow_redirects=True)
    assert "Scheduled" in html(response)
    assert reload(db, item).status == ContentStatus.SCHEDULED


def test_reject_with_a_note_sends_a_draft_back(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    item = make_item(db, curator, status=ContentStatus.IN_REVIEW)
    response = client.post(f"/curate/items/{item.id}/reject",
                           data={"note": "Check the figures first."}, follow_redirects=True)
    assert "Sent back." in html(response)
    assert reload(db, item).status == ContentStatus.DRAFT
    event_ = db.scalar(select(ContentEvent).where(ContentEvent.item_id == item.id,
                                                  ContentEvent.action == "reject"))
    assert event_.note == "Check the figures first."
    assert "Check the figures first." in html(client.get(f"/curate/items/{item.id}"))


def test_expire_archive_reopen(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    item = make_item(db, curator, status=ContentStatus.PUBLISHED)
    client.post(f"/curate/items/{item.id}/expire")
    assert reload(db, item).status == ContentStatus.EXPIRED
    client.post(f"/curate/items/{item.id}/archive")
    assert reload(db, item).status == ContentStatus.ARCHIVED
    # archived: no edit, the edit page sends back to the item
    assert client.get(f"/curate/items/{item.id}/edit").status_code == 302
    client.post(f"/curate/items/{item.id}/reopen")
    assert reload(db, item).status == ContentStatus.DRAFT
    # a move the status does not allow: the service's message, nothing changes
    response = client.post(f"/curate/items/{item.id}/expire", follow_redirects=True)
    assert "cannot do that now" in html(response)
    assert reload(db, item).status == ContentStatus.DRAFT


def test_the_editor_shows_what_is_saved(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    group = GroupFactory(name="Finance")
    item = make_item(db, curator, title="Saved title", texts={"linkedin": "Hello LinkedIn"},
                     hashtags="one two", group_ids=[group.id], priority=1)
    page = html(client.get(f"/curate/items/{item.id}/edit"))
    assert 'value="Saved title"' in page and "Hello LinkedIn" in page
    assert 'value="#one #two"' in page
    assert re.search(rf'<option selected value="{group.id}">Finance', page) or \
        re.search(rf'value="{group.id}" selected', page)
    response = client.post(f"/curate/items/{item.id}/edit", data=form_data(title="New title"))
    assert response.status_code == 302
    assert reload(db, item).title == "New title"
    assert reload(db, item).groups == []  # nothing chosen: everyone


def test_validation_errors_re_render_with_422(client, auth, db):
    auth.as_role(Role.CURATOR)
    response = client.post("/curate/items/new", data=form_data(url="ftp://files.acme.example/x"))
    assert response.status_code == 422
    assert "starting with https://" in html(response)
    response = client.post("/curate/items/new", data=form_data(title=""))
    assert response.status_code == 422
    response = client.post("/curate/items/new", data=form_data(
        publish_at="2026-12-02T09:00", expire_at="2026-12-01T09:00"))
    assert response.status_code == 422
    assert "The expiry must come after the publication." in html(response)
    response = client.post("/curate/items/new", data=form_data(publish_at="not a date"))
    assert response.status_code == 422
    assert db.scalar(select(ContentItem.id)) is None


def test_x_counts_a_long_link_as_23_characters(client, auth, db):
    auth.as_role(Role.CURATOR)
    long_url = "https://www.acme.example/" + "a" * 300
    # 200 + 1 + 23 (the long link) + 2 + 23 (the tracked link) = 249: accepted
    ok = client.post("/curate/items/new", data=form_data(
        text_x="b" * 200 + " " + long_url, hashtags=""))
    assert ok.status_code == 302
    # 240 + 1 + 23 + 2 + 23 = 289 > 280: refused, on the X field
    response = client.post("/curate/items/new", data=form_data(
        text_x="b" * 240 + " " + long_url, hashtags="", title="Too long"))
    assert response.status_code == 422
    assert "The X text is too long: 289 of 280" in html(response)
    # LinkedIn counts the link at its real length and has room for it
    assert client.post("/curate/items/new", data=form_data(
        text_linkedin="c" * 2000 + " " + long_url, title="Long LinkedIn")).status_code == 302


def test_a_paris_curator_schedules_in_paris_time(client, auth, db):
    auth.as_role(Role.CURATOR, timezone="Europe/Paris")
    page = html(client.get("/curate/items/new"))
    assert "Europe/Paris" in page
    response = client.post("/curate/items/new", data=form_data(
        publish_at="2026-12-01T09:00", expire_at="2026-12-31T18:30"))
    assert response.status_code == 302
    item = db.scalar(select(ContentItem))
    assert item.publish_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert item.expire_at == datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    page = html(client.get(f"/curate/items/{item.id}/edit"))
    assert 'value="2026-12-01T09:00"' in page and 'value="2026-12-31T18:30"' in page


# --- image upload ---------------------------------------------------------------------------


def _upload(client, content: bytes, name: str, **changes):
    import io

    data = form_data(**changes)
    data["image_file"] = (io.BytesIO(content), name)
    return client.post("/curate/items/new", data=data, content_type="multipart/form-data")


def test_a_png_upload_is_stored_and_served(client, auth, db, app, tmp_path):
    auth.as_role(Role.CURATOR)
    response = _upload(client, PNG, "photo.PNG")
    assert response.status_code == 302
    item = db.scalar(select(ContentItem))
    match = re.fullmatch(r"/uploads/content/([A-Za-z0-9_-]{16,64}\.png)", item.image_url)
    assert match, item.image_url
    assert (tmp_path / "uploads" / match.group(1)).read_bytes() == PNG
    auth.as_role(Role.EMPLOYEE)  # employees see the images in their queue
    served = client.get(item.image_url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == PNG and served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_text_file_named_png_is_refused(client, auth, db, tmp_path):
    auth.as_role(Role.CURATOR)
    response = _upload(client, b"<script>alert(1)</script>", "evil.png")
    assert response.status_code == 422
    assert "Upload a PNG, JPEG, WebP or GIF image." in html(response)
    assert db.scalar(select(ContentItem.id)) is None
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").iterdir())


def test_a_too_large_image_is_refused(client, auth, db):
    auth.as_role(Role.CURATOR)
    response = _upload(client, PNG + b"\x00" * (2 * 1024 * 1024), "big.png")
    assert response.status_code == 422
    assert "larger than 2 MB" in html(response)


def test_the_image_route_serves_only_upload_names(client, auth, db, tmp_path):
    auth.as_role(Role.EMPLOYEE)
    (tmp_path / "secret.txt").write_text("secret")
    for name in ("..%2Fsecret.txt", "secret.txt", "a.png", "x" * 20 + ".svg",
                 "x" * 20 + ".png"):
        assert client.get(f"/uploads/content/{name}").status_code == 404, name


# --- review queue and suggestions ---------------------------------------------------------


def test_review_queue_lists_oldest_first_with_suggesters(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    employee = UserFactory(name="Sam Suggester", email="sam@acme.example")
    first = make_item(db, curator, title="First in", status=ContentStatus.IN_REVIEW)
    first.created_at = datetime.now(UTC) - timedelta(days=2)
    services.suggest(db, Actor(employee.id), employee, url="https://news.acme.example/x",
                     title="Second in", comment="Customers will love it")
    make_item(db, curator, title="Just a draft")
    page = html(client.get("/curate/review"))
    assert page.index("First in") < page.index("Second in")
    assert "Just a draft" not in page
    assert "Suggested by Sam Suggester" in page and "Customers will love it" in page
    auth.as_role(Role.CURATOR)
    db.execute(ContentItem.__table__.update().values(status=ContentStatus.DRAFT))
    assert "Nothing waits for review." in html(client.get("/curate/review"))


def test_a_suggester_cannot_approve_their_own_suggestion(client, auth, db, mail):
    suggester = auth.as_role(Role.CURATOR, email="cleo@acme.example")
    item = services.suggest(db, Actor(suggester.id), suggester,
                            url="https://blog.acme.example/own", comment="Mine")
    page = html(client.get(f"/curate/items/{item.id}"))
    assert "another curator must approve it" in page
    response = client.post(f"/curate/items/{item.id}/approve", follow_redirects=True)
    assert "You suggested this link: another curator must approve it." in html(response)
    assert reload(db, item).status == ContentStatus.IN_REVIEW

    auth.as_role(Role.CURATOR)
    response = client.post(f"/curate/items/{item.id}/approve", data={"from": "review"})
    assert response.headers["Location"].endswith("/curate/review")
    assert reload(db, item).status == ContentStatus.PUBLISHED
    message = mail.wait_for("cleo@acme.example")
    assert "accepted" in message["Subject"]


def test_declining_a_suggestion_archives_it_and_tells_the_suggester(client, auth, db, mail):
    employee = UserFactory(email="emil@acme.example")
    item = services.suggest(db, Actor(employee.id), employee,
                            url="https://blog.acme.example/meh", comment="Maybe?")
    auth.as_role(Role.CURATOR)
    response = client.post(f"/curate/items/{item.id}/reject", data={"note": "Off topic."},
                           follow_redirects=True)
    assert "Suggestion declined." in html(response)
    item = reload(db, item)
    assert item.status == ContentStatus.ARCHIVED and item.origin == ContentOrigin.SUGGESTION
    message = mail.wait_for("emil@acme.example")
    assert "Off topic." in message.get_body(("plain",)).get_content()


def test_preview_endpoint_reports_a_blocked_address(client, auth, db):
    """Default configuration: the fetcher refuses loopback and private addresses."""
    auth.as_role(Role.CURATOR)
    response = client.post("/curate/preview", data={"url": "http://127.0.0.1:9/",
                                                    "title": "Kept"})
    assert response.status_code == 200
    page = html(response)
    assert 'data-testid="preview-error"' in page
    assert "private or reserved network" in page
    assert 'value="Kept"' in page  # what the curator typed stays
    response = client.post("/curate/preview", data={"url": ""})
    assert "Enter the address of the page first." in html(response)


def test_a_refused_move_changes_nothing(client, auth, db):
    curator = auth.as_role(Role.CURATOR)
    later = datetime.now(UTC) + timedelta(days=2)
    item = make_item(db, curator, status=ContentStatus.SCHEDULED, publish_at=later,
                     expire_at=later + timedelta(days=5))
    response = client.post(f"/curate/items/{item.id}/reopen")
    assert response.status_code == 303
    item = reload(db, item)
    assert item.status == ContentStatus.SCHEDULED
    assert item.publish_at is not None
    assert item.expire_at is not None

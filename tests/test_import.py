"""CSV import over HTTP: upload → preview (valid rows, per-row errors) → confirm → steps
until done; managers and groups linked; invitations sent; cancel; limits; a 10,000-row
file. Addresses use ``acme.example`` (``.test`` is refused by the email validator)."""

from __future__ import annotations

import io
import re
import time

import pytest
from sqlalchemy import func, select

from app.accounts.models import (
    AccountToken,
    Group,
    GroupKind,
    ImportBatch,
    Role,
    User,
    UserStatus,
)
from app.audit.models import AuditEvent
from tests.factories import GroupFactory, UserFactory

LINK = re.compile(r"http://relais\.test(/invitation/[A-Za-z0-9_\-]+)")
HEADER = "email,name,department,location,manager_email,role,language\n"


def html(response) -> str:
    return response.get_data(as_text=True)


def upload(client, content: str | bytes, filename: str = "people.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/admin/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def batch_id_of(response) -> int:
    assert response.status_code == 302, html(response)[-2000:]
    match = re.search(r"/admin/import/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def batch(db, batch_id: int) -> ImportBatch:
    db.expire_all()
    return db.get(ImportBatch, batch_id)


def user(db, email: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def errors_by_email(b: ImportBatch) -> dict[str, list[str]]:
    return {e["email"]: e["errors"] for e in b.errors}


def run_to_end(client, db, batch_id: int, *, htmx: bool = True, limit: int = 100) -> int:
    steps = 0
    headers = {"HX-Request": "true"} if htmx else {}
    while batch(db, batch_id).status == "running":
        steps += 1
        assert steps <= limit
        response = client.post(f"/admin/import/{batch_id}/step", headers=headers)
        assert response.status_code == (200 if htmx else 302)
    return steps


def confirm(client, batch_id: int, send_invitations: bool):
    return client.post(f"/admin/import/{batch_id}/confirm",
                       data={"send_invitations": "y" if send_invitations else ""})


# --- upload and preview ---------------------------------------------------------------------


def test_import_page(client, auth):
    auth.as_role("admin")
    response = client.get("/admin/import")
    assert response.status_code == 200
    page = html(response)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert "manager_email" in page


def test_preview_counts_valid_rows_and_explains_each_bad_row(client, auth, db):
    admin = auth.as_role("admin")
    UserFactory(email="existing@acme.example")
    csv_text = HEADER + "\n".join([
        "ok1@acme.example,Olive One,Sales,Paris,,,",
        "ok2@acme.example,Oscar Two,Sales,Paris,ok1@acme.example,manager,fr",
        "not-an-email,Bad Email,,,,,",
        "orphan@acme.example,Orphan,,,ghost@acme.example,,",
        "ok1@acme.example,Olive Again,,,,,",
        "existing@acme.example,Existing Person,,,,,",
        "role@acme.example,Bad Role,,,,overlord,",
        "lang@acme.example,Bad Lang,,,,,de",
        "noname@acme.example,,,,,,",
        "self@acme.example,Self Managed,,,self@acme.example,,",
        "ok3@acme.example,Ola Three,,,existing@acme.example,,en",
    ]) + "\n"

    response = upload(client, csv_text)
    batch_id = batch_id_of(response)
    b = batch(db, batch_id)

    assert b.status == "preview" and b.filename == "people.csv"
    assert b.created_by_id == admin.id
    assert b.total_rows == 3
    assert [r["email"] for r in b.rows] == ["ok1@acme.example", "ok2@acme.example",
                                            "ok3@acme.example"]
    errors = errors_by_email(b)
    assert errors["not-an-email"] == ["bad email"]
    assert errors["orphan@acme.example"] == ["unknown manager ghost@acme.example"]
    assert "duplicate in file" in errors["ok1@acme.example"]
    assert errors["existing@acme.example"] == ["already has an account"]
    assert errors["role@acme.example"] == ["unknown role “overlord”"]
    assert errors["lang@acme.example"] == ["unknown language “de”"]
    assert errors["noname@acme.example"] == ["name missing"]
    assert errors["self@acme.example"] == ["reports to themself"]
    assert [e["line"] for e in b.errors] == sorted(e["line"] for e in b.errors)
    assert next(e for e in b.errors if e["email"] == "not-an-email")["line"] == 4

    page = html(client.get(f"/admin/import/{batch_id}"))
    assert '<div class="fs-4" data-testid="valid-count">3</div>' in page
    assert 'data-testid="error-count">8</div>' in page
    for text in ("bad email", "unknown manager ghost@acme.example", "duplicate in file",
                 "already has an account", "unknown role “overlord”",
                 "unknown language “de”", "name missing"):
        assert text in page
    assert "Import 3 people" in page
    assert "Olive One" in page  # the first rows are shown
    # nothing is written before the admin confirms
    assert user(db, "ok1@acme.example") is None
    previewed = db.scalar(select(AuditEvent).where(AuditEvent.action == "import.previewed"))
    assert previewed.details == {"rows": 11, "valid": 3, "errors": 8}


def test_rows_whose_manager_has_errors_are_not_imported(client, auth, db):
    auth.as_role("admin")
    csv_text = HEADER + "\n".join([
        "boss@acme.example,,,,,,",  # no name: refused
        "worker@acme.example,Will Worker,,,boss@acme.example,,",
        "sub@acme.example,Sue Sub,,,worker@acme.example,,",
        "fine@acme.example,Fay Fine,,,,,",
    ]) + "\n"

    b = batch(db, batch_id_of(upload(client, csv_text)))

    errors = errors_by_email(b)
    assert errors["boss@acme.example"] == ["name missing"]
    assert errors["worker@acme.example"] == ["manager boss@acme.example is not imported"]
    # and so on down the chain: Sue's manager is not imported either
    assert errors["sub@acme.example"] == ["manager worker@acme.example is not imported"]
    assert [r["email"] for r in b.rows] == ["fine@acme.example"]


def test_a_management_loop_in_the_file_is_refused(client, auth, db):
    auth.as_role("admin")
    csv_text = HEADER + "\n".join([
        "a@acme.example,Ann A,,,b@acme.example,,",
        "b@acme.example,Ben B,,,c@acme.example,,",
        "c@acme.example,Cat C,,,a@acme.example,,",
        "d@acme.example,Dan D,,,a@acme.example,,",
        "e@acme.example,Eve E,,,,,",
    ]) + "\n"

    b = batch(db, batch_id_of(upload(client, csv_text)))

    errors = errors_by_email(b)
    for email in ("a@acme.example", "b@acme.example", "c@acme.example"):
        assert errors[email] == ["A person cannot report to themself or to their own reports."]
    assert errors["d@acme.example"] == ["manager a@acme.example is not imported"]
    assert [r["email"] for r in b.rows] == ["e@acme.example"]


def test_header_names_are_matched_loosely(client, auth, db):
    auth.as_role("admin")
    csv_text = ("E-mail,Full Name,Dept,Office,Manager email,Role,Lang\n"
                "loose@acme.example,Lou Loose,R&D,Nantes,,Curator,FR\n")
    b = batch(db, batch_id_of(upload(client, csv_text)))
    assert b.errors == []
    [row] = b.rows
    assert row["email"] == "loose@acme.example" and row["name"] == "Lou Loose"
    assert (row["department"], row["location"]) == ("R&D", "Nantes")
    assert (row["role"], row["language"]) == ("curator", "fr")


def test_semicolon_separated_file_with_a_utf8_bom_is_accepted(client, auth, db):
    auth.as_role("admin")
    csv_text = ("\ufeffemail;name;department;location;manager_email\n"
                "hélène@acme.example;Hélène Dupré;Ventes;Montréal;\n"
                "jean@acme.example;Jean Martin, Jr.;Ventes;Montréal;hélène@acme.example\n")

    b = batch(db, batch_id_of(upload(client, csv_text.encode("utf-8"))))

    assert b.errors == []
    assert [r["name"] for r in b.rows] == ["Hélène Dupré", "Jean Martin, Jr."]
    assert b.rows[0]["location"] == "Montréal"


def test_a_windows_1252_file_is_decoded(client, auth, db):
    auth.as_role("admin")
    csv_text = HEADER + "zoe@acme.example,Zoé Müller,,,,,\n"
    b = batch(db, batch_id_of(upload(client, csv_text.encode("cp1252"))))
    assert [r["name"] for r in b.rows] == ["Zoé Müller"]


@pytest.mark.parametrize("content, message", [
    ("", "The file is empty."),
    ("name,department\nAda,R&D\n", "The file needs these columns: email."),
    ("email,department\nada@acme.example,R&D\n", "The file needs these columns: name."),
])
def test_unusable_files_are_refused(client, auth, db, content, message):
    auth.as_role("admin")
    response = upload(client, content)
    assert response.status_code == 422
    assert message in html(response)
    assert db.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_only_csv_files_are_accepted(client, auth, db):
    auth.as_role("admin")
    response = upload(client, HEADER + "x@acme.example,X,,,,,\n", filename="people.xlsx")
    assert response.status_code == 422
    assert "Upload a .csv file." in html(response)
    assert client.post("/admin/import", data={}).status_code == 422


@pytest.mark.parametrize("app_overrides", [{"IMPORT_MAX_BYTES": 200}])
def test_a_file_over_the_size_limit_is_refused(client, auth, db, app_overrides):
    auth.as_role("admin")
    rows = "".join(f"p{i}@acme.example,Person {i},,,,,\n" for i in range(20))
    assert len(HEADER + rows) > 200

    response = upload(client, HEADER + rows)

    assert response.status_code == 422
    assert "The file is larger than" in html(response)
    assert db.scalar(select(func.count()).select_from(ImportBatch)) == 0
    # a file under the limit still goes through
    assert upload(client, HEADER + "small@acme.example,Small,,,,,\n").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"IMPORT_MAX_ROWS": 3}])
def test_a_file_over_the_row_limit_is_refused(client, auth, db, app_overrides):
    auth.as_role("admin")
    rows = "".join(f"p{i}@acme.example,Person {i},,,,,\n" for i in range(4))
    response = upload(client, HEADER + rows)
    assert response.status_code == 422
    assert "The file has more than 3 rows; split it." in html(response)


def test_unknown_batch_is_404(client, auth):
    auth.as_role("admin")
    assert client.get("/admin/import/9999").status_code == 404
    assert client.post("/admin/import/9999/step").status_code == 404


# --- import ------------------------------------------------------------------------------------


COMPANY = HEADER + "\n".join([
    # Wendy reports to Max, who is defined further down the file
    "wendy@acme.example,Wendy Worker,Sales,Lyon,max@acme.example,employee,fr",
    "walt@acme.example,Walt Worker,sales,Berlin,max@acme.example,,",
    "max@acme.example,Max Manager,Sales,Lyon,boss@acme.example,manager,en",
    "nina@acme.example,Nina Nogroup,,,,curator,",
    "kept@acme.example,Kim Kept,,,,,",
]) + "\n"


@pytest.mark.parametrize("app_overrides", [{"IMPORT_STEP_ROWS": 2}])
def test_import_in_steps_links_managers_and_groups(client, auth, db, app_overrides, mail):
    admin = auth.as_role("admin")
    boss = UserFactory(email="boss@acme.example", name="Big Boss")
    existing_sales = GroupFactory(kind=GroupKind.DEPARTMENT, name="Sales")
    batch_id = batch_id_of(upload(client, COMPANY))

    confirmed = confirm(client, batch_id, send_invitations=False)

    assert confirmed.status_code == 302
    b = batch(db, batch_id)
    assert b.status == "running" and b.send_invitations is False
    assert "Importing… 0 of 5 rows" in html(client.get(f"/admin/import/{batch_id}"))
    assert user(db, "wendy@acme.example") is None

    # one step without htmx (the no-JS button), then htmx steps until done
    first = client.post(f"/admin/import/{batch_id}/step")
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/admin/import/{batch_id}")
    b = batch(db, batch_id)
    assert (b.status, b.processed, b.created_count) == ("running", 2, 2)
    progress = client.post(f"/admin/import/{batch_id}/step", headers={"HX-Request": "true"})
    assert progress.status_code == 200
    fragment = html(progress)
    assert fragment.lstrip().startswith('<div id="import-progress"')
    assert "<html" not in fragment
    assert "Importing… 4 of 5 rows" in fragment and "hx-post" in fragment
    assert run_to_end(client, db, batch_id) == 1

    b = batch(db, batch_id)
    assert (b.status, b.processed, b.created_count) == ("done", 5, 5)
    assert b.finished_at is not None
    done = html(client.get(f"/admin/import/{batch_id}"))
    assert "Import finished: 5 people created." in done and "hx-post" not in done

    wendy, walt, max_, nina = (user(db, f"{n}@acme.example")
                               for n in ("wendy", "walt", "max", "nina"))
    assert wendy.manager_id == max_.id and walt.manager_id == max_.id
    assert max_.manager_id == boss.id
    assert nina.manager_id is None
    assert (wendy.role, max_.role, nina.role, walt.role) == (
        Role.EMPLOYEE, Role.MANAGER, Role.CURATOR, Role.EMPLOYEE)
    assert (wendy.language, walt.language) == ("fr", "en")
    assert all(u.status == UserStatus.INVITED and u.password_hash is None
               for u in (wendy, walt, max_, nina))
    # departments and locations became groups (matched without regard to case)
    groups = {(g.kind, g.name): g.id for g in db.scalars(select(Group))}
    assert set(groups) == {(GroupKind.DEPARTMENT, "Sales"), (GroupKind.LOCATION, "Lyon"),
                           (GroupKind.LOCATION, "Berlin")}
    assert groups[(GroupKind.DEPARTMENT, "Sales")] == existing_sales.id
    assert {g.name for g in wendy.groups} == {"Sales", "Lyon"}
    assert {g.name for g in walt.groups} == {"Sales", "Berlin"}
    assert nina.groups == []
    # without invitations: no token, no email
    assert db.scalar(select(func.count()).select_from(AccountToken)) == 0
    time.sleep(0.2)
    assert mail.to("wendy@acme.example") == []
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["import.previewed", "import.started", "import.finished"]
    finished = db.scalar(select(AuditEvent).where(AuditEvent.action == "import.finished"))
    assert finished.actor_id == admin.id and finished.details == {"created": 5, "errors": 0}
    # the people list shows them as invited
    people = html(client.get("/admin/people?status=invited"))
    assert "Wendy Worker" in people and "Max Manager" in people
    # a step after the end changes nothing
    client.post(f"/admin/import/{batch_id}/step")
    assert batch(db, batch_id).created_count == 5


def test_import_with_invitations_emails_everyone_a_working_link(client, auth, db, mail):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, COMPANY.replace("max@acme.example,Max Manager,Sales,"
                                                          "Lyon,boss@acme.example",
                                                          "max@acme.example,Max Manager,Sales,"
                                                          "Lyon,")))
    confirm(client, batch_id, send_invitations=True)
    assert batch(db, batch_id).send_invitations is True

    run_to_end(client, db, batch_id, htmx=False)

    assert batch(db, batch_id).created_count == 5
    paths = {}
    for name in ("wendy", "walt", "max", "nina", "kept"):
        message = mail.wait_for(f"{name}@acme.example")
        paths[name] = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    assert mail.wait_for("wendy@acme.example")["Subject"] == "Invitation à rejoindre Relais"
    assert mail.wait_for("walt@acme.example")["Subject"] == "You are invited to join Relais"
    assert len(set(paths.values())) == 5
    assert db.scalar(select(func.count()).select_from(AccountToken)) == 5
    auth.logout()
    landing = client.get(paths["max"])
    assert landing.status_code == 200 and "Max Manager" in html(landing)
    # the invitations page knows about them
    auth.as_role("admin")
    invitations = html(client.get("/admin/invitations"))
    assert "(5)" in invitations and "waiting" in invitations


def test_someone_who_got_an_account_after_the_preview_is_skipped(client, auth, db):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, COMPANY.replace(",boss@acme.example,", ",,")))
    UserFactory(email="walt@acme.example", name="Walt Original")  # joined meanwhile
    confirm(client, batch_id, send_invitations=False)

    run_to_end(client, db, batch_id)

    b = batch(db, batch_id)
    assert b.status == "done" and b.created_count == 4
    assert errors_by_email(b)["walt@acme.example"] == ["already has an account"]
    walt = user(db, "walt@acme.example")
    assert walt.name == "Walt Original" and walt.manager_id is None  # left untouched
    assert user(db, "wendy@acme.example").manager_id == user(db, "max@acme.example").id


def test_confirming_twice_is_refused(client, auth, db):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, COMPANY))
    UserFactory(email="boss@acme.example")
    confirm(client, batch_id, send_invitations=False)
    again = confirm(client, batch_id, send_invitations=True)
    assert again.status_code == 303
    assert "This import was already started." in html(client.get(again.headers["Location"]))
    assert batch(db, batch_id).send_invitations is False


def test_a_file_without_valid_rows_cannot_be_confirmed(client, auth, db):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, HEADER + "bad,Bad,,,,,\n"))
    page = html(client.get(f"/admin/import/{batch_id}"))
    assert "No row can be imported." in page
    refused = confirm(client, batch_id, send_invitations=False)
    assert refused.status_code == 303
    assert "There is no valid row to import." in html(client.get(refused.headers["Location"]))
    assert batch(db, batch_id).status == "preview"


def test_steps_do_nothing_before_the_import_is_confirmed(client, auth, db):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, COMPANY))
    client.post(f"/admin/import/{batch_id}/step")
    b = batch(db, batch_id)
    assert b.status == "preview" and b.processed == 0
    assert user(db, "wendy@acme.example") is None


def test_cancel_before_confirming(client, auth, db):
    auth.as_role("admin")
    batch_id = batch_id_of(upload(client, COMPANY))

    response = client.post(f"/admin/import/{batch_id}/cancel", follow_redirects=True)

    assert response.status_code == 200
    assert "Import stopped. People already imported stay." in html(response)
    assert batch(db, batch_id).status == "cancelled"
    assert confirm(client, batch_id, send_invitations=False).status_code == 303
    assert batch(db, batch_id).status == "cancelled"
    assert user(db, "wendy@acme.example") is None


@pytest.mark.parametrize("app_overrides", [{"IMPORT_STEP_ROWS": 2}])
def test_cancel_half_way_keeps_who_was_imported(client, auth, db, app_overrides):
    auth.as_role("admin")
    UserFactory(email="boss@acme.example")
    batch_id = batch_id_of(upload(client, COMPANY))
    confirm(client, batch_id, send_invitations=False)
    client.post(f"/admin/import/{batch_id}/step")

    client.post(f"/admin/import/{batch_id}/cancel")

    b = batch(db, batch_id)
    assert b.status == "cancelled" and b.created_count == 2 and b.finished_at is not None
    assert user(db, "wendy@acme.example") is not None
    assert user(db, "max@acme.example") is None
    client.post(f"/admin/import/{batch_id}/step")
    assert batch(db, batch_id).processed == 2
    assert "Import stopped after 2 of 5 rows." in html(client.get(f"/admin/import/{batch_id}"))
    # a finished import cannot be cancelled again
    again = client.post(f"/admin/import/{batch_id}/cancel")
    assert again.status_code == 303
    assert "already finished" in html(client.get(again.headers["Location"]))
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "import.cancelled")) \
        .details == {"processed": 2}


def test_recent_imports_are_listed(client, auth, db):
    auth.as_role("admin")
    batch_id_of(upload(client, COMPANY, filename="march-hires.csv"))
    page = html(client.get("/admin/import"))
    assert "Recent imports" in page and "march-hires.csv" in page and "preview" in page


def test_only_admins_import(client, auth, db):
    auth.as_role("manager")
    assert client.get("/admin/import").status_code == 403
    assert upload(client, COMPANY).status_code == 403
    assert db.scalar(select(func.count()).select_from(ImportBatch)) == 0


# --- a large file -----------------------------------------------------------------------------


def big_csv(rows: int) -> str:
    out = io.StringIO()
    out.write(HEADER)
    for i in range(rows):
        # managers are defined after some of their reports (boss rows are at the end)
        email = f"boss{i - (rows - 50)}@big.example" if i >= rows - 50 else \
            f"person{i}@big.example"
        manager = "" if i >= rows - 50 else f"boss{i % 50}@big.example"
        out.write(f"{email},Person {i},Dept {i % 20},Site {i % 7},{manager},employee,"
                  f"{'fr' if i % 3 else 'en'}\n")
    return out.getvalue()


@pytest.mark.slow
def test_a_10000_row_import_completes(client, auth, db, database_url, capsys):
    auth.as_role("admin")
    data = big_csv(10_000)

    started = time.perf_counter()
    batch_id = batch_id_of(upload(client, data))
    previewed = time.perf_counter()
    assert batch(db, batch_id).total_rows == 10_000
    confirm(client, batch_id, send_invitations=False)
    steps = run_to_end(client, db, batch_id)
    elapsed = time.perf_counter() - started

    b = batch(db, batch_id)
    assert b.status == "done" and b.created_count == 10_000 and b.errors == []
    assert db.scalar(select(func.count()).select_from(User)
                     .where(User.email.like("%@big.example"))) == 10_000
    assert db.scalar(select(func.count()).select_from(User)
                     .where(User.email.like("person%@big.example"),
                            User.manager_id.is_(None))) == 0
    boss0 = user(db, "boss0@big.example")
    assert db.scalar(select(func.count()).select_from(User)
                     .where(User.manager_id == boss0.id)) == 9_950 // 50
    assert db.scalar(select(func.count()).select_from(Group)) == 27
    backend = database_url.split(":", 1)[0]
    with capsys.disabled():
        print(f"\n10,000-row import on {backend}: {elapsed:.1f} s "
              f"(preview {previewed - started:.1f} s, {steps} steps)")
    assert elapsed < 60


def test_a_deep_management_chain_is_accepted_and_linked(client, auth, db):
    """Each person reports to the next one in the file: no loop, nobody refused."""
    auth.as_role("admin")
    rows = 1_500
    lines = [f"c{i}@chain.example,Chain {i},,,{f'c{i + 1}@chain.example' if i + 1 < rows else ''}"
             ",," for i in range(rows)]

    started = time.perf_counter()
    batch_id = batch_id_of(upload(client, HEADER + "\n".join(lines) + "\n"))
    assert time.perf_counter() - started < 20

    b = batch(db, batch_id)
    assert b.errors == [] and b.total_rows == rows
    confirm(client, batch_id, send_invitations=False)
    run_to_end(client, db, batch_id)
    first, second = user(db, "c0@chain.example"), user(db, "c1@chain.example")
    assert first.manager_id == second.id
    assert user(db, f"c{rows - 1}@chain.example").manager_id is None


@pytest.mark.parametrize("app_overrides", [{"IMPORT_STEP_ROWS": 2}])
def test_cancel_half_way_links_the_imported_people_to_their_managers(client, auth, db,
                                                                      app_overrides):
    """Regression: managers were linked only at the end, so a cancel left them unlinked."""
    auth.as_role("admin")
    boss = UserFactory(email="boss@acme.example")
    csv_text = HEADER + "\n".join([
        "ann@acme.example,Ann Early,Sales,Lyon,boss@acme.example,employee,en",
        "ben@acme.example,Ben Early,Sales,Lyon,ann@acme.example,employee,en",
        "cat@acme.example,Cat Late,Sales,Lyon,boss@acme.example,employee,en",
    ]) + "\n"
    batch_id = batch_id_of(upload(client, csv_text))
    confirm(client, batch_id, send_invitations=False)
    client.post(f"/admin/import/{batch_id}/step")
    client.post(f"/admin/import/{batch_id}/cancel")
    assert user(db, "ann@acme.example").manager_id == boss.id
    assert user(db, "ben@acme.example").manager_id == user(db, "ann@acme.example").id
    assert user(db, "cat@acme.example") is None

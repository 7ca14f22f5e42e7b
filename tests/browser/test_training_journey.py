"""End-to-end, the training gate: an admin makes the policy course required; an employee
who has not passed it cannot share and is sent to the course; they read the lessons, fail
the quiz once, pass, see their certificate with the badge and the points, and can share;
their manager sees the completion in the team report; anyone can verify the certificate.
Real app, headless Chromium, CSRF on; the CSP must block nothing."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import USER_PASSWORD, playwright_expect
from tests.browser.test_invitation_journey import accept_policy, path_is, sign_in
from tests.browser.test_queue_journey import seed_items

expect = playwright_expect()

pytestmark = pytest.mark.browser

EMPLOYEE = ("emma@acme.example", "Emma Employee")
MANAGER = ("morgan@acme.example", "Morgan Manager")


def seed_course(live_server) -> tuple[int, dict[int, set[int]]]:
    """The demo's ambassador course (English), without a cooldown so the test can try
    again at once, and its policy badge; returns (course id, right answers by question)."""
    from app.common.actor import Actor
    from app.gamification.models import Badge, BadgeCriterion
    from app.training.demo import create_course
    from app.training.demo_content import AMBASSADOR_EN

    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        course = create_course(db, Actor(user_id=None), AMBASSADOR_EN)
        course.cooldown_minutes = 0
        db.add(Badge(key="policy-course", emoji="🎓", name_en="Policy certified",
                     name_fr="Charte validée", criterion=BadgeCriterion.COURSE_PASSED,
                     threshold=1, course_id=course.id))
        db.flush()
        right = {q.id: {c.id for c in q.choices if c.correct} for q in course.questions}
        return course.id, right


def add_people(live_server) -> None:
    from app.accounts.models import User

    manager_id = live_server.add_user(MANAGER[0], MANAGER[1], role="manager")
    employee_id = live_server.add_user(EMPLOYEE[0], EMPLOYEE[1])
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        db.get(User, employee_id).manager_id = manager_id


def sign_in_as(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(USER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    accept_policy(page, live_server, "I have read and accept the policy")


def answer(page, right: dict[int, set[int]], *, correctly: bool) -> None:
    """Tick every question's right answers (or one wrong answer each), as shown."""
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(len(right))
    for n in range(questions.count()):
        fieldset = questions.nth(n)
        qid = int(fieldset.get_attribute("data-question-id"))
        for choice in fieldset.locator("input").all():
            cid = int(choice.get_attribute("value"))
            if correctly and cid in right[qid]:
                choice.check()
        if not correctly:
            wrong = [i for i in fieldset.locator("input").all()
                     if int(i.get_attribute("value")) not in right[qid]]
            wrong[0].check()


def test_training_gate_journey(live_server, open_tab):
    seed_items(live_server, 1)
    course_id, right = seed_course(live_server)
    add_people(live_server)

    # the admin makes the course required before sharing
    admin = open_tab(locale="en-US")
    page = admin.page
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server)
    accept_policy(page, live_server, "I have read and accept the policy")
    page.get_by_role("button", name="Administration").click()
    page.get_by_test_id("training-requirements-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training requirements")
    row = page.locator(f'[data-testid="requirement-row"][data-course-id="{course_id}"]')
    row.get_by_test_id("toggle-required").click()
    expect(page.get_by_role("alert")).to_contain_text("is now required before sharing")
    expect(row.get_by_test_id("is-required")).to_be_visible()
    admin.assert_clean()

    # the employee cannot share: the share page names the course and sends them to it
    learner = open_tab(locale="en-US")
    emma = learner.page
    emma.on("dialog", lambda dialog: dialog.accept())
    sign_in_as(emma, live_server, EMPLOYEE[0])
    expect(emma.get_by_test_id("gate-notice")).to_contain_text(
        "Sharing on social media as a Relais ambassador")
    emma.get_by_test_id("queue-item").first.get_by_test_id("share").click()
    expect(emma.get_by_test_id("share-refused")).to_be_visible()
    expect(emma.get_by_test_id("refusal-reason")).to_have_text(
        "Sharing unlocks once you pass the course “Sharing on social media as a Relais "
        "ambassador”.")
    learner.console.clear()  # Chromium logs the intended 403 as a failed resource
    emma.get_by_test_id("refusal-action").click()
    expect(emma).to_have_url(path_is(live_server, f"/training/courses/{course_id}"))
    expect(emma.get_by_test_id("required")).to_be_visible()

    # they read the five lessons, one after the other
    emma.get_by_test_id("resume").click()
    for n in range(1, 6):
        expect(emma.get_by_test_id("lesson-title")).to_be_visible()
        expect(emma.locator("main")).to_contain_text(f"Lesson {n} of 5")
        emma.get_by_test_id("mark-read").click()
    expect(emma).to_have_url(path_is(live_server, f"/training/courses/{course_id}/quiz"))
    expect(emma.get_by_role("alert")).to_contain_text("You have read every lesson")

    # they fail once
    emma.get_by_test_id("start-quiz").click()
    expect(emma.get_by_test_id("quiz-form")).to_be_visible()
    assert "right answer" not in emma.get_by_test_id("quiz-form").inner_html().replace(
        "Tick every right answer.", "")
    answer(emma, right, correctly=False)
    emma.get_by_test_id("submit-quiz").click()
    expect(emma.get_by_test_id("result-heading")).to_have_text("Not passed this time")
    expect(emma.get_by_test_id("score")).to_contain_text("0 of 10 right: 0 %")
    expect(emma.get_by_test_id("explanation")).to_have_count(10)

    # and pass the second time
    emma.get_by_test_id("back-to-quiz").click()
    emma.get_by_test_id("start-quiz").click()
    answer(emma, right, correctly=True)
    emma.get_by_test_id("submit-quiz").click()
    expect(emma.get_by_test_id("result-heading")).to_have_text("You passed!")
    expect(emma.get_by_test_id("score")).to_contain_text("10 of 10 right: 100 %")

    # the certificate, with the badge and the points
    emma.get_by_test_id("see-certificate").click()
    expect(emma.get_by_test_id("certificate-name")).to_have_text(EMPLOYEE[1])
    expect(emma.get_by_test_id("certificate-course")).to_have_text(
        "Sharing on social media as a Relais ambassador")
    expect(emma.get_by_test_id("badge")).to_contain_text("Badge earned: Policy certified")
    expect(emma.get_by_test_id("points")).to_have_text(
        re.compile(r"You earned \d+ points with this course\."))
    code = emma.get_by_test_id("certificate-code").inner_text()
    verify_url = emma.get_by_test_id("verify-link").get_attribute("href")
    assert verify_url == f"{live_server.url}/certificates/verify/{code}"
    learner.assert_styled()
    learner.screenshot("training-certificate.png")

    # now they can share
    emma.goto(live_server.url + "/")
    expect(emma.get_by_test_id("queue-item")).to_have_count(1)
    expect(emma.get_by_test_id("gate-notice")).to_have_count(0)
    emma.get_by_test_id("queue-item").first.get_by_test_id("share").click()
    expect(emma.get_by_test_id("share-intent")).to_be_visible()
    emma.get_by_test_id("share-intent").click()
    expect(emma.get_by_role("heading", level=1)).to_have_text("Your share is ready")
    learner.assert_clean()

    # the manager sees the completion in their team report
    boss = open_tab(locale="en-US")
    morgan = boss.page
    sign_in_as(morgan, live_server, MANAGER[0])
    morgan.get_by_test_id("training-link").click()
    morgan.get_by_test_id("reports-link").click()
    expect(morgan.get_by_test_id("report-scope")).to_contain_text("Your team")
    course_row = morgan.locator(f'[data-testid="report-course-row"][data-course-id="{course_id}"]')
    expect(course_row.get_by_test_id("completion")).to_contain_text("1 (100 %)")
    course_row.get_by_role("link").first.click()
    person = morgan.get_by_test_id("person-row").filter(has_text=EMPLOYEE[1])
    expect(person.get_by_test_id("person-status")).to_have_text("passed")
    expect(morgan.get_by_test_id("person-row")).to_have_count(1)
    boss.assert_clean()

    # anyone can check the certificate, signed in or not
    visitor = open_tab(locale="en-US")
    visitor.page.goto(verify_url)
    expect(visitor.page.get_by_test_id("verify-valid")).to_be_visible()
    expect(visitor.page.get_by_test_id("verify-name")).to_have_text(EMPLOYEE[1])
    visitor.assert_clean()

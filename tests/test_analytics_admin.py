"""The admin page of network values (CPM, CPC, CPE) and currency, over HTTP, for every role;
earned media value from those values (the formula, in Python and in SQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, literal, select

from app.analytics import tally
from app.analytics.models import AnalyticsSettings, NetworkValue, UserDay
from app.analytics.values import (
    DEFAULT_VALUES,
    Value,
    currency,
    emv,
    emv_sql,
    network_values,
)
from app.audit.models import AuditEvent
from tests import factories_analytics as f
from tests.factories_analytics import DAY, HOUR, T0

URL = "/admin/analytics/values"


def form_data(**overrides) -> dict:
    data = {"currency": "EUR"}
    for network, value in DEFAULT_VALUES.items():
        data[f"cpm_{network}"] = str(value.cpm)
        data[f"cpc_{network}"] = str(value.cpc)
        data[f"cpe_{network}"] = str(value.cpe)
    data.update(overrides)
    return data


def audit(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the formula --------------------------------------------------------------------------


def test_emv_is_reach_times_cpm_per_thousand_plus_clicks_times_cpc_plus_engagements_times_cpe():
    value = Value(cpm=Decimal("30"), cpc=Decimal("5"), cpe=Decimal("1"))
    # 12,000 × 30 / 1000 = 360; 7 × 5 = 35; 11 × 1 = 11
    assert value.emv(reach=12_000, unique_clicks=7, engagements=11) == Decimal("406.00")
    values = {"linkedin": value, "x": Value(Decimal("6"), Decimal("0.6"), Decimal("0.3"))}
    assert emv(values, {"linkedin": (12_000, 7, 11), "x": (1_000, 10, 10),
                        "mastodon": (5_000, 5, 5)}) == Decimal("406.00") + Decimal("15.00")


def test_network_values_default_until_an_admin_sets_them(db):
    assert network_values(db) == {k: DEFAULT_VALUES[k] for k in ("linkedin", "x", "facebook",
                                                                "email")}
    assert currency(db) == "EUR"
    db.add(NetworkValue(network="x", cpm=Decimal("9"), cpc=Decimal("1"), cpe=Decimal("0.5")))
    db.flush()
    assert network_values(db)["x"] == Value(Decimal("9"), Decimal("1"), Decimal("0.5"))
    assert network_values(db)["linkedin"] == DEFAULT_VALUES["linkedin"]


def test_emv_in_sql_ranks_and_totals_from_the_rollups(db):
    """Dashboards compute EMV in the same statement as their other numbers."""
    ana, ben = f.person(db), f.person(db)
    s1 = f.share(db, ana, f.item(db), network="linkedin", reach=2_000)
    s2 = f.share(db, ben, f.item(db), network="x", reach=10_000)
    f.click(db, s1, T0 + HOUR, "v1")
    f.click(db, s2, T0 + HOUR, "v1")
    f.click(db, s2, T0 + HOUR, "v2")
    f.snapshot(db, s1, T0 + HOUR, likes=4)
    f.points(db, ana, T0, 5)
    tally.tally(db, T0 + DAY)
    values = network_values(db)
    value_of = emv_sql(values, UserDay.network, func.sum(UserDay.reach),
                       func.sum(UserDay.unique_clicks), func.sum(UserDay.engagements))
    rows = dict(db.execute(select(UserDay.user_id, value_of).group_by(UserDay.user_id,
                                                                      UserDay.network)
                           .where(UserDay.network != "")).all())
    # Ana: 2,000 × 30 / 1000 + 1 × 5 + 4 × 1 = 69; Ben: 10,000 × 6 / 1000 + 2 × 0.6 = 61.2
    assert Decimal(str(rows[ana.id])).quantize(Decimal("0.01")) == Decimal("69.00")
    assert Decimal(str(rows[ben.id])).quantize(Decimal("0.01")) == Decimal("61.20")
    points_row = db.scalar(select(emv_sql(values, literal(""), literal(0), literal(0),
                                          literal(0))))
    assert Decimal(str(points_row)) == 0


# --- the page -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "manager", "curator"])
def test_only_admins_see_or_change_the_values(client, auth, db, role):
    auth.as_role(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=form_data()).status_code == 403
    assert client.post(URL + "/reset").status_code == 403
    assert db.scalar(select(func.count()).select_from(NetworkValue)) == 0


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_the_defaults_the_formula_and_the_tally_state(client, auth, db):
    auth.as_role("admin")
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "reach × CPM / 1,000" in page
    for network in ("linkedin", "x", "facebook", "email"):
        assert f'data-network="{network}"' in page
    assert 'name="cpm_linkedin"' in page and 'value="30.00"' in page
    assert 'name="cpc_x"' in page and 'value="0.60"' in page
    assert '<option selected value="EUR">' in page
    assert "Never: the numbers appear after the first run." in page
    assert "400 days" in page
    assert "Earned media value" in page  # the admin menu entry


def test_saving_values_stores_them_audits_what_changed_and_keeps_the_rest(client, auth, db):
    admin = auth.as_role("admin")
    response = client.post(URL, data=form_data(currency="USD", cpm_linkedin="42.5",
                                               cpc_x="0,75"))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    db.expire_all()
    assert db.get(AnalyticsSettings, 1).currency == "USD"
    assert db.get(AnalyticsSettings, 1).updated_by_id == admin.id
    values = network_values(db)
    assert values["linkedin"].cpm == Decimal("42.5")
    assert values["x"].cpc == Decimal("0.75")  # a decimal comma is understood
    assert values["facebook"] == DEFAULT_VALUES["facebook"]
    [event] = audit(db, "analytics.values_saved")
    assert event.actor_id == admin.id
    assert event.details["changes"]["currency"] == ["EUR", "USD"]
    assert event.details["changes"]["linkedin"]["cpm"] == ["30.00", "42.5000"]
    assert set(event.details["changes"]) == {"currency", "linkedin", "x"}

    page = client.get(URL).get_data(as_text=True)
    assert 'value="42.50"' in page and 'value="0.75"' in page
    assert '<option selected value="USD">' in page


@pytest.mark.parametrize("field, value, message", [
    ("cpm_linkedin", "-1", "Between 0 and 1,000,000."),
    ("cpc_x", "", "Enter a value (0 for none)."),
    ("cpe_email", "lots", "Not a valid decimal value."),
    ("cpm_facebook", "2000000", "Between 0 and 1,000,000."),
    ("currency", "XXQ", "Not a valid choice."),
])
def test_invalid_values_are_refused_with_a_message_and_nothing_is_saved(client, auth, db, field,
                                                                         value, message):
    auth.as_role("admin")
    response = client.post(URL, data=form_data(**{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(NetworkValue)) == 0
    assert db.get(AnalyticsSettings, 1) is None
    assert audit(db, "analytics.values_saved") == []


def test_reset_goes_back_to_the_defaults_and_keeps_the_currency(client, auth, db):
    admin = auth.as_role("admin")
    client.post(URL, data=form_data(currency="GBP", cpm_linkedin="99"))
    response = client.post(URL + "/reset")
    assert response.status_code == 302
    db.expire_all()
    assert network_values(db)["linkedin"] == DEFAULT_VALUES["linkedin"]
    assert currency(db) == "GBP"
    [event] = audit(db, "analytics.values_reset")
    assert event.actor_id == admin.id and event.details == {"rows": 4}
    assert "Network values reset to the defaults." in client.get(URL).get_data(as_text=True)


def test_the_page_shows_the_last_tally_run(client, auth, app, db):
    from app.jobs.runner import run_job

    auth.as_role("admin")
    assert run_job(app, "analytics.tally").ok
    page = client.get(URL).get_data(as_text=True)
    assert "Never:" not in page
    assert 'text-bg-success">ok<' in page


def test_the_reset_needs_the_csrf_token(csrf_app, db):
    from tests.conftest import Auth

    client = csrf_app.test_client()
    Auth(client, db).as_role("admin")
    assert client.post(URL + "/reset").status_code == 400
    assert client.post(URL, data=form_data()).status_code == 400

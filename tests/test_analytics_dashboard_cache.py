"""The dashboards' cache (app/analytics/dashboard_cache.py): a page is computed once per
tally run and served from the cache after that; new rollups, new network values and
another viewer's scope are never hidden behind an entry; the JSON codec gives back the
same dashboard; the warm-up job fills the shared cache (a real redis-server)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.analytics import dashboard as dash
from app.analytics import dashboard_cache, tally
from app.analytics.models import NetworkValue
from app.common.cache import RedisCache, get_cache
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.sharing.models import Share
from tests import factories_analytics as f
from tests.factories_analytics import DAY, HOUR, T0
from tests.test_analytics_dashboard_pages import PERIOD
from tests.test_analytics_impact import kpis
from tests.test_content_queue import count_statements
from tests.test_leaderboards_cache import redis_url  # noqa: F401 (a fixture)

D0 = T0.date()
ROLLUP_TABLES = ("analytics_user_days", "analytics_item_days", "analytics_group_days",
                 "analytics_user_topic_days", "analytics_share_days")


@pytest.fixture
def scene(db):
    return f.dashboard_scene(db)


def reads_rollups(statements: list[str]) -> bool:
    return any(table in s for s in statements for table in ROLLUP_TABLES)


def view(app, client, url="/analytics", **query) -> tuple[str, list[str]]:
    with count_statements(app) as statements:
        response = client.get(url, query_string={**PERIOD, **query})
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_the_codec_gives_back_the_same_dashboard(db, scene):
    period = dash.Period(D0 - timedelta(days=6), D0)
    for scope in (dash.Scope.company(), dash.Scope.team(scene.mia.id),
                  dash.Scope.group(scene.sales.id)):
        original = dash.dashboard(db, period, scope)
        data = json.loads(json.dumps(dashboard_cache.encode(original)))
        assert dashboard_cache.decode_dashboard(data, period, scope) == original
    # types survive the trip, not only values
    back = dashboard_cache.decode_dashboard(
        json.loads(json.dumps(dashboard_cache.encode(dash.dashboard(db, period,
                                                                    dash.Scope.company())))),
        period, dash.Scope.company())
    assert isinstance(back.summary.emv, Decimal) and back.trend.points[0].start == period.start
    assert back.trend.granularity is dash.Granularity.DAY
    assert back.networks[0].label == "LinkedIn"  # looked up when read, not stored


def test_a_page_is_computed_once_per_tally_run(app, client, auth, db, scene):
    auth.as_role("admin")
    first, statements = view(app, client)
    assert reads_rollups(statements)
    assert kpis(first)["unique_clicks"] == "12"
    assert 'data-testid="as-of"' in first and "Figures as of" in first
    again, statements = view(app, client)
    assert not reads_rollups(statements)  # the cache answered
    assert kpis(again) == kpis(first)
    # new events are not seen until the tally rolls them up, then at once
    f.click(db, shares_of(db, scene.dan)[0], T0 + 2 * HOUR, "new-visitor")
    assert kpis(view(app, client)[0])["unique_clicks"] == "12"
    tally.tally(db, T0 + DAY + HOUR)
    fresh, statements = view(app, client)
    assert reads_rollups(statements) and kpis(fresh)["unique_clicks"] == "13"


def test_new_network_values_show_at_once(app, client, auth, db, scene):
    auth.as_role("admin")
    before = kpis(view(app, client)[0])["emv"]
    db.merge(NetworkValue(network="facebook", cpm=Decimal("0"), cpc=Decimal("100"),
                          cpe=Decimal("0")))
    db.flush()
    after, statements = view(app, client)
    assert reads_rollups(statements) and kpis(after)["emv"] != before


def test_each_scope_has_its_own_entry(app, client, auth, db, scene):
    auth.login(scene.mia)
    mine = view(app, client, "/analytics/team")[0]
    assert "Ana Alpha" in mine and "Cid Gamma" in mine
    scene.ben.role = Role.MANAGER
    auth.login(scene.ben)  # Ben manages Cid only: never Mia's cached team
    bens = view(app, client, "/analytics/team")[0]
    assert "Cid Gamma" in bens and "Ana Alpha" not in bens
    auth.as_role("admin")
    sales, statements = view(app, client, group=scene.sales.id)
    assert reads_rollups(statements) and "Dan Delta" not in sales
    company = view(app, client)[0]
    assert "Dan Delta" in company


def test_the_cache_can_be_turned_off(app, client, auth, scene):
    app.config["ANALYTICS_DASHBOARD_CACHE_SECONDS"] = 0
    auth.as_role("admin")
    view(app, client)
    assert reads_rollups(view(app, client)[1])


def test_the_warm_up_job_needs_a_shared_cache(app, db):
    for _ in range(2):
        result = run_job(app, "analytics.warm_dashboards")
        assert result.status is JobStatus.OK
        assert "REDIS_URL" in result.summary["skipped"]


def test_the_warm_up_job_fills_redis_once_per_tally_run(redis_url, db, database,  # noqa: F811
                                                        database_url, mailer, scene):
    from app import create_app
    from tests.conftest import test_config

    application = create_app(test_config(database_url, RELAIS_DATABASE=database,
                                         RELAIS_MAILER=mailer, REDIS_URL=redis_url))
    cache = get_cache(application)
    assert isinstance(cache, RedisCache)
    cache.clear()
    try:
        # the default view: the last 30 days up to today, with whatever the scene left there
        f.click(db, f.share(db, scene.dan, scene.item1, at=dash_now()), dash_now(), "today")
        tally.tally(db, dash_now() + HOUR)
        first = run_job(application, "analytics.warm_dashboards")
        assert first.summary["warmed"] == 1, first.summary
        assert run_job(application, "analytics.warm_dashboards").summary == {"warmed": 0,
                                                                               "fresh": True}
        client = application.test_client()
        from tests.conftest import Auth

        Auth(client, db).as_role("admin")
        with count_statements(application) as statements:
            page = client.get("/analytics")
        assert page.status_code == 200 and not reads_rollups(statements)
        assert kpis(page.get_data(as_text=True))["unique_clicks"] == "1"
        # the next tally run: warmed again
        tally.tally(db, dash_now() + 2 * HOUR)
        assert run_job(application, "analytics.warm_dashboards").summary["warmed"] == 1
    finally:
        cache.clear()


def shares_of(db, user) -> list[Share]:
    return list(db.scalars(select(Share).where(Share.user_id == user.id).order_by(Share.id)))


def dash_now():
    from app.db import utcnow

    return utcnow() - timedelta(minutes=5)

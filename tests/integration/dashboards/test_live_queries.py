"""Every panel, variable and alert-rule query runs on the live ClickHouse 18.16 as Grafana's
read-only account, after macro expansion, and returns what its panel or rule reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cityops.db.client import make_client
from cityops.settings import LOCAL_TZ
from dashboards.boards import build_all
from dashboards.macros import ALL, QueryContext, expand
from dashboards.panels import alerts, dossier, health, payment, portal, score766
from dashboards.proof import (
    Query,
    alert_queries,
    dashboard_queries,
    shape_problems,
    variable_queries,
)
from dashboards.sql import COARSE_FROM_INTERVAL_S, DAILY_FROM_INTERVAL_S
from dashboards.targets import FRESHNESS_LIMIT_S, OFFICE_HOURS, WORKERS_SILENT_AFTER_S
from tests.support.accounts import reader_database


def _context(now: datetime, interval_s: int = 300, **variables: Any) -> QueryContext:
    return QueryContext(
        time_from=now - timedelta(days=7),
        time_to=now + timedelta(minutes=1),
        interval_s=interval_s,
        **variables,
    )


def _run(client: Any, query: Query, ctx: QueryContext) -> tuple[list[Any], list[tuple[str, str]]]:
    sql = expand(query.sql, ctx)
    try:
        rows, columns = client.execute(sql, with_column_types=True)
    except Exception as error:  # the message names the query that broke
        first_line = str(error).split("Stack trace")[0].strip()
        pytest.fail(f"{query.origin} failed: {first_line}\n{sql}")
    return rows, columns


@pytest.fixture
def reader(settings: Any, loaded: str) -> Any:
    with reader_database(settings.clickhouse):
        client = make_client(settings.clickhouse, database=True, reader=True)
        yield client
        client.disconnect()


def test_every_dashboard_query_returns_its_panel_shape(reader: Any, now: datetime) -> None:
    empty = []
    for board in build_all():
        options: dict[str, list[str]] = {}
        for name, query in variable_queries(board):
            rows, columns = _run(reader, query, _context(now))
            assert not shape_problems("variable", columns, rows), query.origin
            options[name] = [str(r[0]) for r in rows]
            assert options[name], f"{query.origin} lists no values"
        # "All" first, then a two-value selection: both must run and keep their shape.
        selections = [{n: [ALL] for n in options}]
        if options:
            selections.append({n: values[:2] for n, values in options.items()})
        for selection in selections:
            ctx = _context(now, variables=selection, options=options)
            for query in dashboard_queries(board):
                rows, columns = _run(reader, query, ctx)
                assert not shape_problems(query.kind, columns, rows), query.origin
                if not rows and selection == selections[0]:
                    empty.append(query.origin)
    assert not empty, f"queries that found none of the sample data: {empty}"


def test_stat_figures_match_the_sample(reader: Any, now: datetime) -> None:
    """Spot-check values, so a query that runs but counts the wrong thing fails too."""
    ctx = _context(now)

    def value(panel: dict[str, Any]) -> Any:
        query = Query(panel["title"], panel["targets"][0]["rawSql"], "single")
        rows, _ = _run(reader, query, ctx)
        return rows[0][0]

    assert value(dossier.received_today()) == 15
    assert value(dossier.resolved_today()) == 13
    assert value(dossier.on_time_today()) == pytest.approx(1 / 13)
    assert value(dossier.overdue_now()) == 1
    assert value(dossier.open_now()) == 2
    assert value(dossier.overdue_share()) == pytest.approx(0.5)
    assert value(payment.cashless_share_today()) == pytest.approx(0.5)
    assert value(portal.satisfaction_today()) == 0
    # The one DKDN dossier: received 30 h before it was resolved (a minute ago).
    assert value(dossier.business_registration_days()) == pytest.approx(30 / 24, abs=0.01)
    # The pipeline: the quiet source's last event an hour ago, the portal's a minute ago.
    assert 0 <= value(health.freshness()) <= 120
    assert value(alerts.critical_firing()) == 2, "SXD overdue and SKHDT overdue: two pages"


def test_portal_activity_counts_the_same_per_minute_and_per_hour(
    reader: Any, now: datetime
) -> None:
    """Short intervals read v_portal_minute, wide ones v_portal_hourly, the widest
    v_portal_daily (dashboards/sql.py): the 5-minute points summed per hour are the hourly
    points, and summed per local day (over whole days) the daily points."""
    panel = portal.activity()
    query = Query(panel["title"], panel["targets"][0]["rawSql"], "timeseries")
    fine, _ = _run(reader, query, _context(now, interval_s=300))
    coarse, _ = _run(reader, query, _context(now, interval_s=COARSE_FROM_INTERVAL_S))
    per_hour: dict[datetime, list[int]] = {}
    for time, *figures in fine:
        hour = time.replace(minute=0)
        before = per_hour.get(hour, [0, 0, 0])
        per_hour[hour] = [a + b for a, b in zip(before, figures, strict=True)]
    assert coarse and [(t, *f) for t, f in sorted(per_hour.items())] == coarse
    _assert_daily_points_sum_the_fine_ones(reader, query, now)


def test_dossier_flow_counts_the_same_per_interval_and_per_day(reader: Any, now: datetime) -> None:
    """Short intervals read v_dossier_minute, wide ones v_dossier_daily (dashboards/sql.py):
    the 5-minute points summed per local day are the daily points, over whole local days."""
    panel = dossier.flow()
    query = Query(panel["title"], panel["targets"][0]["rawSql"], "timeseries")
    _assert_daily_points_sum_the_fine_ones(reader, query, now)


def _assert_daily_points_sum_the_fine_ones(reader: Any, query: Query, now: datetime) -> None:
    """Over the last 7 whole local days and today, the points of a 5-minute interval summed
    per local day are those of DAILY_FROM_INTERVAL_S (one per local day)."""
    local = ZoneInfo(LOCAL_TZ)
    first_day = now.astimezone(local).replace(hour=0, minute=0, second=0) - timedelta(days=7)
    ctx = QueryContext(first_day.astimezone(UTC), now + timedelta(minutes=1), 300)
    fine, _ = _run(reader, query, ctx)
    daily, _ = _run(reader, query, replace(ctx, interval_s=DAILY_FROM_INTERVAL_S))
    assert daily and _per_local_day(daily, local) == _per_local_day(fine, local)


def _per_local_day(points: list[Any], local: ZoneInfo) -> list[tuple[Any, ...]]:
    """A time series' figures summed per local day (times: UTC, with or without a zone)."""
    per_day: dict[date, list[int]] = {}
    for time, *figures in points:
        day = (time if time.tzinfo else time.replace(tzinfo=UTC)).astimezone(local).date()
        before = per_day.get(day, [0] * len(figures))
        per_day[day] = [a + b for a, b in zip(before, figures, strict=True)]
    return sorted((d, *f) for d, f in per_day.items())


def test_every_alert_query_names_what_fired(reader: Any, now: datetime) -> None:
    ctx = _context(now)
    fired: dict[str, list[dict[str, Any]]] = {}
    for query in alert_queries():
        rows, columns = _run(reader, query, ctx)
        assert not shape_problems("alert", columns, rows), query.origin
        names = [n for n, _ in columns]
        fired[query.origin] = [dict(zip(names, r, strict=True)) for r in rows]
    pages_by = {(r["agency"], r["kind"]): r["value"] for r in fired["alert cityops-pages"]}
    assert pages_by == {("SXD", "dossier_overdue"): 1, ("SKHDT", "dossier_overdue"): 12}
    new = {r["agency"]: r["value"] for r in fired["alert cityops-pages / N"]}
    assert new == {"SXD": 0, "SKHDT": 3}, "opened in the last hour"
    assert [r["severity"] for r in fired["alert cityops-pages"]] == ["critical"] * 2
    assert fired["alert cityops-wall-stale"][0]["value"] < FRESHNESS_LIMIT_S
    assert fired["alert cityops-workers-silent"][0]["value"] < WORKERS_SILENT_AFTER_S
    lag = {r["topic"]: r["value"] for r in fired["alert cityops-consumer-lag"]}
    assert lag["cityops.dossier.v1"] == 5
    stuck = {r["topic"]: r["value"] for r in fired["alert cityops-sink-stuck"]}
    assert stuck == {"cityops.dossier.v1": 300, "cityops.payment.v1": 0, "cityops.portal.v1": 0}


def test_766_score_follows_the_points_formula(reader: Any, now: datetime) -> None:
    """SKHDT: on time 1/1 (20 pts) + online 1/1 (22) + no ratings (0) = 42/60 -> 70.0;
    SXD: nothing resolved (0) + online 2/2 (22) -> 36.7; STP: late (0) + direct (0) +
    satisfied 12/24 over the week, 0.5/0.9 x 18 = 10 pts -> 16.7."""
    rows, columns = _run(reader, Query("766", score766.score_sql(), "table"), _context(now))
    names = [n for n, _ in columns]
    scores = {r[names.index("agency")]: r[names.index("score")] for r in rows}
    assert scores == {"Sở Kế hoạch và Đầu tư": 70.0, "Sở Xây dựng": 36.7, "Sở Tư pháp": 16.7}


def test_office_hours_are_the_local_weekday_hours(reader: Any, now: datetime) -> None:
    """Staleness pages only in office hours: ClickHouse must read the clock as Python does."""
    from zoneinfo import ZoneInfo

    query = Query("office hours", f"SELECT toUInt8({health.OFFICE_HOURS}) AS office", "table")
    rows, _ = _run(reader, query, _context(now))
    local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    start, end = OFFICE_HOURS
    assert rows[0][0] == int(local.isoweekday() <= 5 and start <= local.hour < end)

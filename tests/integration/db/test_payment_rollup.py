"""`v_payment_daily` and `v_payment_agency_daily` over rolled-up settled days (migration 038,
cityops/db/payment_rollup.py, rolled by cityops/db/day_rollup.py): equal to the batch
recomputation from the raw events before and after a roll, a late event for a rolled day
counted at once and rolled again by the next compaction, and an upgrade from 037 whose
history the backfill rolls. On ClickHouse 18.16 and on current ClickHouse."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest
from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.db import cli as db_cli
from cityops.db import day_rollup
from cityops.db.backfill import backfill, record
from cityops.db.client import make_client
from cityops.db.dossier_rollup import DOSSIER_KPIS
from cityops.db.migrate import migrate
from cityops.db.payment_rollup import PAYMENTS
from cityops.db.reconcile import (
    PAYMENT_FIGURES,
    batch_payment_daily,
    compare,
    view_payment_daily,
)
from cityops.db.tables import AGGREGATES, PAYMENT_DAILY_ROLLUP, PAYMENT_EVENTS, qualified
from cityops.settings import Settings
from dashboards.macros import ALL, QueryContext, expand
from dashboards.panels import payment as panels
from dashboards.sql import EVERYWHERE, Scope
from streams.sink.rows import raw_row

from .conftest import (
    AG2,
    AR1,
    AR2,
    Backend,
    insert,
    load_crafted,
    migrated_backend,
    payment,
    utc,
)
from .test_views import select

D4, D5 = date(2025, 3, 4), date(2025, 3, 5)
changed_days = partial(day_rollup.changed_days, spec=PAYMENTS)
roll_changed = partial(day_rollup.roll_changed, spec=PAYMENTS)

BY_AGENCY = (
    f"SELECT day, agency_code, {', '.join(PAYMENT_FIGURES)} FROM {{db}}.v_payment_agency_daily"
)


def _assert_exact(backend: Backend) -> None:
    """Both views equal the batch recomputation from payment_events (cityops/db/reconcile.py),
    the per-agency view summed over the cells of each agency."""
    client, database = backend.client, backend.database
    batch = batch_payment_daily(client, database)
    assert batch
    assert compare("v_payment_daily", batch, view_payment_daily(client, database), 3) == []
    per_agency: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(PAYMENT_FIGURES))
    for row in batch:
        sums = per_agency[row[:2]]
        for i, value in enumerate(row[3:]):
            sums[i] += value
    expected = sorted((*key, *sums) for key, sums in per_agency.items())
    assert sorted(select(backend, BY_AGENCY)) == expected


def _late_payment(backend: Backend) -> None:
    """A payment of another agency and area on D4, arriving after D4 was rolled, through the
    raw table (the aggregates' materialized views, then the day status's)."""
    late = [
        payment("p9-i", "P9", "initiated", "2025-03-04T05:00:00Z", "qr", 70000),
        payment("p9-s", "P9", "succeeded", "2025-03-04T05:01:00Z", "qr", 70000),
    ]
    now = datetime.now(UTC).replace(microsecond=0)
    for offset, event in enumerate(late):
        event = event.model_copy(update={"agency_code": AG2, "area_code": AR2})
        _, row = raw_row(event, partition=0, offset=90 + offset, ingested_at=now)
        insert(backend, PAYMENT_EVENTS, [row])


def _succeeded_on(backend: Backend, day: date) -> int:
    rows = select(backend, f"SELECT sum(succeeded) FROM {{db}}.v_payment_daily WHERE day = '{day}'")
    return int(rows[0][0])


def test_rolled_days_stay_exact_and_a_late_payment_counts_at_once(backend: Backend) -> None:
    load_crafted(backend)
    client, database = backend.client, backend.database
    _assert_exact(backend)
    assert changed_days(client, database) == [D4, D5]

    time.sleep(1.1)  # a roll counts for the rows touched before its second, not during it
    assert roll_changed(client, database, margin_seconds=0) == 2
    assert changed_days(client, database) == []
    _assert_exact(backend)

    succeeded_d4 = _succeeded_on(backend, D4)
    _late_payment(backend)
    assert _succeeded_on(backend, D4) == succeeded_d4 + 1
    assert changed_days(client, database) == [D4]
    _assert_exact(backend)
    time.sleep(1.1)
    assert roll_changed(client, database, margin_seconds=0) == 1
    assert changed_days(client, database) == []
    _assert_exact(backend)

    # The view reads a rolled day's sums, not its payments: a newer roll of a cell wins.
    rollup = qualified(PAYMENT_DAILY_ROLLUP, database)
    cells = client.execute(
        f"SELECT uniqExact(agency_code, area_code) FROM {rollup} WHERE day = '{D5}'"
    )[0][0]
    before = _succeeded_on(backend, D5)
    client.execute(
        f"INSERT INTO {rollup} SELECT day, agency_code, area_code, initiated, succeeded + 5, "
        f"failed, refunded, amount_vnd, cashless_succeeded, cashless_amount_vnd, rolled_at + 1 "
        f"FROM {rollup} WHERE day = '{D5}'"
    )
    assert _succeeded_on(backend, D5) == before + 5 * cells


#: The last migration before the payment rollup (038).
BEFORE_PAYMENT_ROLLUP = 37


@pytest.fixture(params=["clickhouse-18.16", "chdb"])
def before_038(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from migrated_backend(request, BEFORE_PAYMENT_ROLLUP)


def test_upgrade_from_037_rolls_the_payment_history_once(before_038: Backend) -> None:
    """A deployment with payments before migration 038: the upgrade records their days as
    arrived (read per payment, exact), `cityops db migrate`'s backfill rolls them, and a
    second backfill changes no figure."""
    backend = before_038
    load_crafted(backend)
    client, database = backend.client, backend.database
    for aggregate in AGGREGATES:  # a deployment of 037 had backfilled its aggregates
        record(client, database, aggregate.view)

    migrate(client, database)
    assert changed_days(client, database) == [D4, D5]
    _assert_exact(backend)  # per payment: the figures without any rollup
    backfill(client, database)  # what `cityops db migrate` runs after the migrations
    assert changed_days(client, database) == []
    _assert_exact(backend)
    rolled = client.execute(
        f"SELECT DISTINCT day FROM {qualified(PAYMENT_DAILY_ROLLUP, database)} ORDER BY day"
    )
    assert [r[0] for r in rolled] == [D4, D5]

    # Again (it re-inserts every aggregate, so the days count as arrived since this roll
    # until the next compaction): the same figures.
    backfill(client, database, again=True)
    _assert_exact(backend)


def _providers(backend: Backend, scope: Scope, start: str, end: str) -> list[tuple[Any, ...]]:
    """The providers table of the payments dashboard over [start, end], macros expanded, on
    the backend's views."""
    sql = panels.by_provider(scope)["targets"][0]["rawSql"]
    ctx = QueryContext(time_from=utc(start), time_to=utc(end), variables={"area": [ALL]},
                       options={"area": [AR1, AR2]})  # fmt: skip
    sql = expand(sql, ctx).replace(" FROM v_", " FROM {db}.v_")
    return select(backend, sql)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # From the failed event of P3 (23:59:59 local on D4) to D6: D5 whole, D4 and D6 edges.
        ("2025-03-04T16:00:00Z", "2025-03-06T00:00:00Z"),
        # From just after it: P3 succeeded at 00:00 local on D5, now the first, partial day.
        ("2025-03-04T17:00:00Z", "2025-03-07T00:00:00Z"),
        # Within one local day: the minutes alone.
        ("2025-03-05T01:00:00Z", "2025-03-05T02:30:00Z"),
        # D4 and D5 whole, nothing at the edges.
        ("2025-03-03T12:00:00Z", "2025-03-06T12:00:00Z"),
    ],
)
def test_providers_over_whole_days_and_edges_equal_the_minutes(
    backend: Backend, start: str, end: str
) -> None:
    """The providers table merges per-day states for the whole days and minute states for
    the partial edge days: the same figures as the minute states alone over the range."""
    load_crafted(backend)
    _late_payment(backend)  # P9 on D4: a second agency and area
    by_days = _providers(backend, EVERYWHERE, start, end)
    by_minutes = _providers(backend, Scope(area_var="area"), start, end)
    assert by_days and by_days == by_minutes


def test_cli_compact_rolls_the_settled_days_of_both_sources(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cityops db compact`, what operators schedule: one run rolls the changed settled days
    of the dossier KPIs and of the payments, says how many, and a second run finds none."""
    backend = Backend(
        "clickhouse-18.16",
        make_client(migrated.clickhouse, migrator=True),
        migrated.clickhouse.database,
        migrated,
    )
    load_crafted(backend)
    client, database = backend.client, backend.database
    dossier_days = len(day_rollup.changed_days(client, database, DOSSIER_KPIS))
    assert dossier_days and changed_days(client, database) == [D4, D5]
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__DATABASE", database)
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__PORT", str(migrated.clickhouse.port))
    # The command's rolls are stamped a minute early, for rows whose insert was under way;
    # this test's rows are a second old, so its rolls are stamped when they start.
    monkeypatch.setattr(db_cli, "roll_changed", partial(day_rollup.roll_changed, margin_seconds=0))
    time.sleep(1.1)
    first = CliRunner().invoke(app, ["db", "compact"])
    assert first.exit_code == 0, first.output
    assert f"{dossier_days} settled days of dossier KPIs and 2 of payments rolled up" in (
        first.output
    )
    assert changed_days(client, database) == []
    _assert_exact(backend)
    second = CliRunner().invoke(app, ["db", "compact"])
    assert "0 settled days of dossier KPIs and 0 of payments rolled up" in second.output
    backend.client.disconnect()

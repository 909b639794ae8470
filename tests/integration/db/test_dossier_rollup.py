"""`v_dossier_daily` over rolled-up settled days (cityops/db/dossier_rollup.py, rolled by
cityops/db/day_rollup.py): the same
figures before and after a roll, a late row for a rolled day counted at once, and the
day rolled again by the next compaction. On ClickHouse 18.16 and on current ClickHouse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from functools import partial

import pytest

from cityops.db import day_rollup
from cityops.db.dossier_rollup import DOSSIER_KPIS
from cityops.db.migrate import migrate
from cityops.db.tables import (
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_DAILY_ROLLUP,
    qualified,
)

from .conftest import AG1, AR1, AR2, Backend, insert, load_crafted, migrated_backend
from .test_views import select

D4, D5, D6 = date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6)
changed_days = partial(day_rollup.changed_days, spec=DOSSIER_KPIS)
roll_changed = partial(day_rollup.roll_changed, spec=DOSSIER_KPIS)
DAILY = (
    "SELECT day, agency_code, area_code, received, online_received, full_online_received, "
    "resolved, resolved_on_time, resolved_late, avg_processing_hours FROM {db}.v_dossier_daily"
)


#: v_dossier_agency_daily's columns, and the same summed per agency from v_dossier_daily.
BY_AGENCY = (
    "SELECT day, agency_code, received, online_received, full_online_received, resolved, "
    "resolved_on_time, resolved_late, processing_hours_sum, processing_hours_count "
    "FROM {db}.v_dossier_agency_daily"
)
CELLS_BY_AGENCY = (
    "SELECT day, agency_code, sum(received), sum(online_received), sum(full_online_received), "
    "sum(resolved), sum(resolved_on_time), sum(resolved_late), sum(processing_hours_sum), "
    "sum(processing_hours_count) FROM {db}.v_dossier_daily GROUP BY day, agency_code"
)


def _assert_agencies_sum_the_cells(backend: Backend) -> None:
    """v_dossier_agency_daily (migration 037's rollup per agency) is v_dossier_daily summed
    per agency, whichever days are rolled."""
    by_agency = select(backend, BY_AGENCY)
    assert by_agency and by_agency == select(backend, CELLS_BY_AGENCY)


def _received_on(backend: Backend, day: date) -> int:
    rows = select(backend, f"SELECT sum(received) FROM {{db}}.v_dossier_daily WHERE day = '{day}'")
    return int(rows[0][0])


def test_rolled_days_give_the_same_figures_and_a_late_row_counts_at_once(
    backend: Backend,
) -> None:
    load_crafted(backend)
    client, database = backend.client, backend.database
    before = select(backend, DAILY)
    _assert_agencies_sum_the_cells(backend)
    assert changed_days(client, database) == [D4, D5, D6]

    time.sleep(1.1)  # a roll counts for the rows touched before its second, not during it
    assert roll_changed(client, database, margin_seconds=0) == 3
    assert changed_days(client, database) == []
    assert select(backend, DAILY) == before
    _assert_agencies_sum_the_cells(backend)

    # A late dossier on a rolled day: counted at once (the day is read per dossier again),
    # and rolled again by the next compaction with the same figure; another area of the
    # same agency and day adds to its row of v_dossier_agency_daily.
    insert(backend, DOSSIER_KPI_DAILY, [(D4, AG1, AR1, "D9", 1, 0, 0, 0, 0, 0, 0, 0, 1)])
    insert(backend, DOSSIER_KPI_DAILY, [(D4, AG1, AR2, "D8", 1, 1, 0, 0, 0, 0, 0, 0, 1)])
    _assert_agencies_sum_the_cells(backend)
    assert _received_on(backend, D4) == 3
    assert changed_days(client, database) == [D4]
    time.sleep(1.1)
    assert roll_changed(client, database, margin_seconds=0) == 1
    assert changed_days(client, database) == []
    assert _received_on(backend, D4) == 3
    _assert_agencies_sum_the_cells(backend)
    after = select(backend, DAILY)
    assert [r for r in after if r[0] != D4] == [r for r in before if r[0] != D4]

    # The view reads a rolled day's sums, not its dossiers: a newer roll of a cell wins.
    rollup = qualified(DOSSIER_KPI_DAILY_ROLLUP, database)
    cells = client.execute(
        f"SELECT uniqExact(agency_code, area_code) FROM {rollup} WHERE day = '{D5}'"
    )[0][0]
    client.execute(
        f"INSERT INTO {rollup} "
        f"SELECT day, agency_code, area_code, received + 5, online_received, "
        f"full_online_received, resolved, resolved_on_time, resolved_late, "
        f"processing_seconds, processing_count, rolled_at + 1 "
        f"FROM {rollup} WHERE day = '{D5}'"
    )
    assert _received_on(backend, D5) == 5 + 5 * cells


#: The last migration before the rollup per agency (037).
BEFORE_AGENCY_ROLLUP = 36


@pytest.fixture(params=["clickhouse-18.16", "chdb"])
def rolled_before_037(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from migrated_backend(request, BEFORE_AGENCY_ROLLUP)


def test_upgrade_reads_rolled_days_per_dossier_until_they_are_rolled_per_agency(
    rolled_before_037: Backend,
) -> None:
    """A deployment whose days were rolled before migration 037: the upgrade marks them as
    changed (the rollup per agency has none of them), so both views read them per dossier,
    with the same figures, until the next roll writes both tables."""
    backend = rolled_before_037
    load_crafted(backend)
    client, database = backend.client, backend.database
    # The code before 037 rolled the cells only.
    cells_only = replace(DOSSIER_KPIS, rollups=DOSSIER_KPIS.rollups[:1])
    time.sleep(1.1)
    assert day_rollup.roll_changed(client, database, cells_only, margin_seconds=0) == 3

    migrate(client, database)
    assert changed_days(client, database) == [D4, D5, D6]
    before = select(backend, DAILY)  # per dossier: the figures without any rollup
    _assert_agencies_sum_the_cells(backend)

    time.sleep(1.1)
    assert roll_changed(client, database, margin_seconds=0) == 3
    assert changed_days(client, database) == []
    assert select(backend, DAILY) == before
    _assert_agencies_sum_the_cells(backend)

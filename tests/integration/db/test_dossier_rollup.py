"""`v_dossier_daily` over rolled-up settled days (cityops/db/dossier_rollup.py): the same
figures before and after a roll, a late row for a rolled day counted at once, and the
day rolled again by the next compaction. On ClickHouse 18.16 and on current ClickHouse."""

from __future__ import annotations

import time
from datetime import date

from cityops.db.dossier_rollup import changed_days, roll_changed
from cityops.db.tables import (
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_DAILY_ROLLUP,
    qualified,
)

from .conftest import AG1, AR1, Backend, insert, load_crafted
from .test_views import select

D4, D5, D6 = date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6)
DAILY = (
    "SELECT day, agency_code, area_code, received, online_received, full_online_received, "
    "resolved, resolved_on_time, resolved_late, avg_processing_hours FROM {db}.v_dossier_daily"
)


def _received_on(backend: Backend, day: date) -> int:
    rows = select(backend, f"SELECT sum(received) FROM {{db}}.v_dossier_daily WHERE day = '{day}'")
    return int(rows[0][0])


def test_rolled_days_give_the_same_figures_and_a_late_row_counts_at_once(
    backend: Backend,
) -> None:
    load_crafted(backend)
    client, database = backend.client, backend.database
    before = select(backend, DAILY)
    assert changed_days(client, database) == [D4, D5, D6]

    time.sleep(1.1)  # a roll counts for the rows touched before its second, not during it
    assert roll_changed(client, database, margin_seconds=0) == 3
    assert changed_days(client, database) == []
    assert select(backend, DAILY) == before

    # A late dossier on a rolled day: counted at once (the day is read per dossier again),
    # and rolled again by the next compaction with the same figure.
    insert(backend, DOSSIER_KPI_DAILY, [(D4, AG1, AR1, "D9", 1, 0, 0, 0, 0, 0, 0, 0, 1)])
    assert _received_on(backend, D4) == 2
    assert changed_days(client, database) == [D4]
    time.sleep(1.1)
    assert roll_changed(client, database, margin_seconds=0) == 1
    assert changed_days(client, database) == []
    assert _received_on(backend, D4) == 2
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

"""What `cityops db compact` rolls of the dossier KPIs: settled days of `dossier_kpi_daily`
summed per cell for `v_dossier_daily` (migration 035) and per agency for
`v_dossier_agency_daily` (migration 037), by the shared roll of cityops/db/day_rollup.py.

Each (cell, dossier)'s latest row (by the state's version) is what a day's sums add up.
"""

from __future__ import annotations

from cityops.db.client import SqlClient
from cityops.db.day_rollup import CELL, DayRollup, Rollup, roll_changed
from cityops.db.tables import (
    DOSSIER_KPI_AGENCY_ROLLUP,
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_DAILY_ROLLUP,
    DOSSIER_KPI_DAY_STATUS,
)

#: Recorded in `backfills` once the history of an upgraded deployment is rolled.
ROLLUP_HISTORY = "dossier_kpi_rollup_history"
#: Recorded once the days rolled before migration 037 are rolled again into both tables.
AGENCY_ROLLUP_HISTORY = "dossier_kpi_agency_rollup_history"

#: The figures of a (cell, dossier) row: what a roll sums per cell.
_FIGURES = tuple(
    name
    for name in DOSSIER_KPI_DAILY.column_names
    if name not in ("day", "agency_code", "area_code", "dossier_id", "version")
)

DOSSIER_KPIS = DayRollup(
    what=DOSSIER_KPI_DAILY.name,
    source=DOSSIER_KPI_DAILY.name,
    entity="dossier_id",
    latest=tuple(f"argMax({f}, version) AS {f}" for f in _FIGURES),
    totals=tuple(f"sum({f})" for f in _FIGURES),
    rollups=(
        Rollup(DOSSIER_KPI_DAILY_ROLLUP, CELL),
        Rollup(DOSSIER_KPI_AGENCY_ROLLUP, "day, agency_code"),
    ),
    status=DOSSIER_KPI_DAY_STATUS,
)


def backfill_rollup(client: SqlClient, database: str) -> None:
    """Roll every settled day of an upgraded deployment's history (migration 035 recorded
    them as arrived); safe to re-run: a later roll of a day wins."""
    roll_changed(client, database, DOSSIER_KPIS)

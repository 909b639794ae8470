"""Roll settled days of `dossier_kpi_daily` into per-cell sums for `v_dossier_daily`, and
per-agency sums for `v_dossier_agency_daily`.

`dossier_kpi_daily` holds one row per (local day, agency, area) cell and dossier, and a
query must keep each dossier's latest row before summing: its cost follows the number of
dossiers in the range (a province's 30 days: ~75,000 rows; a country's: ~3 M). Most days
stop changing once their dossiers are resolved, so `roll` writes each settled day's cells
once, already summed, and `v_dossier_daily` reads those sums for every day rolled after its
last row arrived (migration 035: `dossier_kpi_day_status` records, per day, whether its
latest news is a roll or a row arriving, from every block the workers insert). Today,
yesterday, and any day a late event changed since its roll are read per dossier as before:
the figures are exact whether or not compaction ran, it only makes them cheaper.

A roll is stamped `MARGIN_SECONDS` before it starts: a row inserted while the roll reads
(its insert began before the roll's read, and became visible after) arrives at or after
that stamp, so the day counts as changed and is rolled again next time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from cityops.db.client import SqlClient
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import (
    DOSSIER_KPI_AGENCY_ROLLUP,
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_DAILY_ROLLUP,
    DOSSIER_KPI_DAY_STATUS,
    qualified,
)
from cityops.settings import LOCAL_TZ

log = logging.getLogger(__name__)

#: Recorded in `backfills` once the history of an upgraded deployment is rolled.
ROLLUP_HISTORY = "dossier_kpi_rollup_history"
#: Recorded once the days rolled before migration 037 are rolled again into both tables.
AGENCY_ROLLUP_HISTORY = "dossier_kpi_agency_rollup_history"
#: Days this recent (local) stay per dossier: the workers still write them all the time.
RECENT_DAYS = 2
#: How far before its start a roll is stamped (see the module's docstring).
MARGIN_SECONDS = 60

#: What a roll writes, each from the same per-dossier rows: the sums per (day, agency, area)
#: cell for `v_dossier_daily`, and per (day, agency) for `v_dossier_agency_daily` (migration
#: 037: a country's cells hold about one dossier each, so only the coarser sums are small).
_ROLLUPS = (
    (DOSSIER_KPI_DAILY_ROLLUP, "day, agency_code, area_code"),
    (DOSSIER_KPI_AGENCY_ROLLUP, "day, agency_code"),
)

#: The figures of a (cell, dossier) row: what a roll sums per cell.
_FIGURES = tuple(
    name
    for name in DOSSIER_KPI_DAILY.column_names
    if name not in ("day", "agency_code", "area_code", "dossier_id", "version")
)


def _cutoff() -> str:
    """The first local day that stays per dossier."""
    return f"toDate(now(), {literal(LOCAL_TZ)}) - {RECENT_DAYS - 1}"


def changed_days(client: SqlClient, database: str) -> list[date]:
    """Settled days whose latest news is a row arriving (never rolled, or changed since)."""
    rows = client.execute(
        f"SELECT day FROM {qualified(DOSSIER_KPI_DAY_STATUS, identifier(database))} "
        f"WHERE day < {_cutoff()} GROUP BY day HAVING argMax(rolled, version) = 0 ORDER BY day"
    )
    return [r[0] for r in rows]


def roll(
    client: SqlClient, database: str, days: list[date], margin_seconds: int = MARGIN_SECONDS
) -> int:
    """Write the per-cell sums of `days`, one month per statement; returns the days rolled."""
    if not days:
        return 0
    db = identifier(database)
    # Epoch seconds of the server's clock, whatever the client's time zone.
    now = int(client.execute("SELECT toUInt32(now())")[0][0])
    stamp = f"toDateTime({now - margin_seconds})"
    latest = ", ".join(f"argMax({f}, version) AS {f}" for f in _FIGURES)
    sums = ", ".join(f"sum({f})" for f in _FIGURES)
    by_month: dict[tuple[int, int], list[date]] = defaultdict(list)
    for day in days:
        by_month[(day.year, day.month)].append(day)
    for month_days in by_month.values():
        listed = ", ".join(literal(d) for d in month_days)
        for table, keys in _ROLLUPS:
            client.execute(
                f"INSERT INTO {qualified(table, db)} "
                f"SELECT {keys}, {sums}, {stamp} FROM ("
                f"SELECT day, agency_code, area_code, dossier_id, {latest} "
                f"FROM {qualified(DOSSIER_KPI_DAILY.name, db)} "
                f"WHERE day IN ({listed}) GROUP BY day, agency_code, area_code, dossier_id) "
                f"GROUP BY {keys}"
            )
        client.execute(
            f"INSERT INTO {qualified(DOSSIER_KPI_DAY_STATUS, db)} (day, rolled, at, version) "
            f"SELECT arrayJoin([{listed}]), 1, {stamp}, toUInt64(toUInt32({stamp})) * 2"
        )
    log.info("rolled %d settled days of %s", len(days), DOSSIER_KPI_DAILY.name)
    return len(days)


def roll_changed(client: SqlClient, database: str, margin_seconds: int = MARGIN_SECONDS) -> int:
    """What `cityops db compact` runs: roll the settled days changed since their last roll."""
    return roll(client, database, changed_days(client, database), margin_seconds)


def backfill_rollup(client: SqlClient, database: str) -> None:
    """Roll every settled day of an upgraded deployment's history (migration 035 recorded
    them as arrived); safe to re-run: a later roll of a day wins."""
    roll_changed(client, database)

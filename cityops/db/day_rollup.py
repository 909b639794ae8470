"""Roll settled local days of a per-entity table into sums per cell and per agency.

Some read-API tables hold one row (or partial aggregate states) per (local day, agency,
area) cell and entity: `dossier_kpi_daily` per dossier (the workers' rows, the latest
version winning), `agg_payment_daily` per payment (ClickHouse's states, merged per
payment). A query must first reduce each entity to its figures, so its cost follows the
entities in its range (a country's 30 days: ~3 M dossier rows, ~0.85 M payments). Most
days stop changing once they are over, so `roll` writes each settled day once, already
summed, into a rollup per cell and one per agency (a country's cells hold about one entity
each, so only the coarser sums are small), and the views read those sums for every day
rolled after its last row arrived: a status table records, per day, whether its latest
news is a roll or a row arriving (a materialized view of the inserts that write the source
table: the workers' into `dossier_kpi_daily`, those into `payment_events` for
`agg_payment_daily`). Today, yesterday, and any day a late row changed since its roll are read
per entity as before: the figures are exact whether or not compaction ran, it only makes
them cheaper.

A roll is stamped `MARGIN_SECONDS` before it starts: a row inserted while the roll reads
(its insert began before the roll's read, and became visible after) arrives at or after
that stamp, so the day counts as changed and is rolled again next time.

What each source rolls is a `DayRollup` (cityops/db/dossier_rollup.py,
cityops/db/payment_rollup.py); this module is the one way they are rolled.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from cityops.db.client import SqlClient
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import qualified
from cityops.settings import LOCAL_TZ

log = logging.getLogger(__name__)

#: Days this recent (local) stay per entity: the sources still write them all the time.
RECENT_DAYS = 2
#: How far before its start a roll is stamped (see the module's docstring).
MARGIN_SECONDS = 60
#: The key of an entity's row in its cell: what every source table is grouped by first.
CELL = "day, agency_code, area_code"


@dataclass(frozen=True)
class Rollup:
    """A table of sums per `keys`, then the figures, then `rolled_at` (ReplacingMergeTree
    by `rolled_at`: the latest roll of a key wins)."""

    table: str
    keys: str


@dataclass(frozen=True)
class DayRollup:
    """One source's roll: `source` holds rows per cell (`CELL`) and `entity`; `latest` are
    the SELECT expressions (with aliases) of an entity's figures in its cell, `totals` the
    rolled figures over them, in the rollup tables' column order; `status` says per day
    whether its latest news is a roll or a row arriving."""

    what: str
    source: str
    entity: str
    latest: tuple[str, ...]
    totals: tuple[str, ...]
    rollups: tuple[Rollup, ...]
    status: str


def _cutoff() -> str:
    """The first local day that stays per entity."""
    return f"toDate(now(), {literal(LOCAL_TZ)}) - {RECENT_DAYS - 1}"


def changed_days(client: SqlClient, database: str, spec: DayRollup) -> list[date]:
    """Settled days whose latest news is a row arriving (never rolled, or changed since)."""
    rows = client.execute(
        f"SELECT day FROM {qualified(spec.status, identifier(database))} "
        f"WHERE day < {_cutoff()} GROUP BY day HAVING argMax(rolled, version) = 0 ORDER BY day"
    )
    return [r[0] for r in rows]


def roll(
    client: SqlClient,
    database: str,
    spec: DayRollup,
    days: list[date],
    margin_seconds: int = MARGIN_SECONDS,
) -> int:
    """Write the sums of `days` into every rollup of `spec`, one month per statement;
    returns the days rolled."""
    if not days:
        return 0
    db = identifier(database)
    # Epoch seconds of the server's clock, whatever the client's time zone.
    now = int(client.execute("SELECT toUInt32(now())")[0][0])
    stamp = f"toDateTime({now - margin_seconds})"
    entity_keys = f"{CELL}, {spec.entity}"
    by_month: dict[tuple[int, int], list[date]] = defaultdict(list)
    for day in days:
        by_month[(day.year, day.month)].append(day)
    for month_days in by_month.values():
        listed = ", ".join(literal(d) for d in month_days)
        for rollup in spec.rollups:
            client.execute(
                f"INSERT INTO {qualified(rollup.table, db)} "
                f"SELECT {rollup.keys}, {', '.join(spec.totals)}, {stamp} FROM ("
                f"SELECT {entity_keys}, {', '.join(spec.latest)} "
                f"FROM {qualified(spec.source, db)} "
                f"WHERE day IN ({listed}) GROUP BY {entity_keys}) "
                f"GROUP BY {rollup.keys}"
            )
        client.execute(
            f"INSERT INTO {qualified(spec.status, db)} (day, rolled, at, version) "
            f"SELECT arrayJoin([{listed}]), 1, {stamp}, toUInt64(toUInt32({stamp})) * 2"
        )
    log.info("rolled %d settled days of %s", len(days), spec.what)
    return len(days)


def roll_changed(
    client: SqlClient, database: str, spec: DayRollup, margin_seconds: int = MARGIN_SECONDS
) -> int:
    """What `cityops db compact` runs per source: roll the settled days changed since
    their last roll."""
    return roll(client, database, spec, changed_days(client, database, spec), margin_seconds)

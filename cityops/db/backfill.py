"""Fill the aggregate tables from the history already in the raw tables.

A materialized view only sees blocks inserted after it exists; a deployment upgraded to the
aggregates has years of events before that. `backfill` runs each view's own SELECT (read
back from the server, so the rule is written once, in the migration) over its source table,
one month partition at a time to bound memory, and inserts the partial aggregates into the
view's table. Every aggregate is a lattice (max, argMax, uniqExact), so rows the view wrote
meanwhile, or a second backfill, change no figure: the command is safe to re-run, and safe
while workers write. Each finished backfill is recorded in `backfills`, so `cityops db
migrate` backfills a new aggregate once; `again=True` redoes them all. The dossier KPIs'
history comes from `dossier_state` (cityops/db/dossier_history.py), just as re-runnable, and
their settled days, and the payments', are then rolled up (cityops/db/day_rollup.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from cityops.db.alert_tables import ALERTS_HISTORY, backfill_alerts
from cityops.db.client import SqlClient
from cityops.db.dossier_history import (
    BUSINESS_HISTORY,
    DOSSIER_HISTORY,
    backfill_business_history,
    backfill_dossier_history,
)
from cityops.db.dossier_rollup import AGENCY_ROLLUP_HISTORY, ROLLUP_HISTORY, backfill_rollup
from cityops.db.open_dossiers import OPEN_HISTORY, backfill_open
from cityops.db.payment_rollup import PAYMENT_ROLLUP_HISTORY, backfill_payment_rollup
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import AGGREGATES, BACKFILLS, Aggregate, qualified

log = logging.getLogger(__name__)

_SELECT = re.compile(r"\sAS\s+(SELECT\s.*)$", re.DOTALL)


class BackfillError(RuntimeError):
    """An aggregate's materialized view is missing: the schema is older than this code."""


def view_select(client: SqlClient, database: str, view: str) -> str:
    """The SELECT of a materialized view, as the server stored it."""
    rows = client.execute(
        "SELECT create_table_query FROM system.tables "
        f"WHERE database = {literal(database)} AND name = {literal(view)}"
    )
    if not rows:
        raise BackfillError(f"{database}.{view} does not exist: run `cityops db migrate` first")
    match = _SELECT.search(str(rows[0][0]))
    if not match:
        raise BackfillError(f"cannot read the SELECT of {database}.{view}")
    return match.group(1)


def months(client: SqlClient, database: str, table: str) -> list[int]:
    """The month partitions (YYYYMM) of a raw table that hold rows."""
    rows = client.execute(
        "SELECT DISTINCT partition FROM system.parts WHERE active "
        f"AND database = {literal(database)} AND table = {literal(table)} ORDER BY partition"
    )
    return [int(str(r[0]).strip("'")) for r in rows]


def backfill_one(client: SqlClient, database: str, aggregate: Aggregate) -> int:
    """Insert `aggregate`'s partial aggregates of every month of its source; returns months."""
    db = identifier(database)
    select = view_select(client, db, aggregate.view)
    source = f"{db}.{aggregate.source.name}"
    if f"FROM {source}" not in select:
        raise BackfillError(f"{aggregate.view} does not read {source}")
    only = f" AND {aggregate.backfill_only}" if aggregate.backfill_only else ""
    done = 0
    for month in months(client, db, aggregate.source.name):
        one_month = (
            f"FROM (SELECT * FROM {source} WHERE toYYYYMM({aggregate.month_column}) = {month}"
            f"{only}) AS {aggregate.source.name}"
        )
        rows = select.replace(f"FROM {source}", one_month)
        client.execute(f"INSERT INTO {qualified(aggregate.table, db)} {rows}")
        done += 1
    return done


def _recorded(client: SqlClient, database: str) -> set[str]:
    if client.execute(f"EXISTS TABLE {database}.{BACKFILLS}") != [(1,)]:
        raise BackfillError(f"{database}.{BACKFILLS} does not exist: run `cityops db migrate`")
    return {str(r[0]) for r in client.execute(f"SELECT name FROM {database}.{BACKFILLS}")}


def record(client: SqlClient, database: str, name: str) -> None:
    client.execute(
        f"INSERT INTO {database}.{BACKFILLS} (name, done_at) SELECT {literal(name)}, now()"
    )


def backfill(client: SqlClient, database: str, *, again: bool = False) -> dict[str, float]:
    """Backfill what is not yet (every aggregate with `again`); returns seconds per table."""
    db = identifier(database)
    done_before = _recorded(client, db)
    seconds: dict[str, float] = {}
    history = {
        DOSSIER_HISTORY: backfill_dossier_history,
        OPEN_HISTORY: backfill_open,
        BUSINESS_HISTORY: backfill_business_history,
        ALERTS_HISTORY: backfill_alerts,
        # After the dossier KPIs' history: it rolls their settled days.
        ROLLUP_HISTORY: backfill_rollup,
        # Migration 037 marked the days rolled before it as changed: roll them into both.
        AGENCY_ROLLUP_HISTORY: backfill_rollup,
    }
    # After the aggregates (an upgrade from before 006 fills agg_payment_daily just above):
    # migration 038 recorded the days of agg_payment_daily as arrived; roll them once.
    rollups = {PAYMENT_ROLLUP_HISTORY: backfill_payment_rollup}

    def once(name: str, fill: Callable[[SqlClient, str], None]) -> None:
        if name not in done_before or again:
            began = time.monotonic()
            fill(client, db)
            record(client, db, name)
            seconds[name] = time.monotonic() - began

    for name, fill in history.items():
        once(name, fill)
    for aggregate in AGGREGATES:
        if aggregate.view in done_before and not again:
            continue
        began = time.monotonic()
        done = backfill_one(client, db, aggregate)
        record(client, db, aggregate.view)
        took = time.monotonic() - began
        seconds[aggregate.table] = seconds.get(aggregate.table, 0.0) + took
        log.info("backfilled %s from %s: %d months", aggregate.table, aggregate.source.name, done)
    for name, fill in rollups.items():
        once(name, fill)
    return seconds

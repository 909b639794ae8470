"""`make bench-queries`: what the dashboards cost as history grows, new views against today's.

1. A scratch database gets the schema of the views as they were before the pre-aggregated
   tables (migrations up to `BASELINE_MIGRATION`), then synthetic history (bench/history.py,
   generated inside ClickHouse at the chosen volume).
2. The database is upgraded to the latest migrations and backfilled with `cityops db
   backfill`'s code, as a live deployment would be (both are timed).
3. A second scratch database gets the old query-time views' definitions, rendered from the
   same migration files (up to `BASELINE_MIGRATION`, and `BASELINE_LATER`), reading the
   first database's tables: the baseline.
4. Every rendered dashboard and alert-rule query (bench/query_timing.py) runs over the last
   30 days and over today, rounds of new and baseline interleaved, and the table prints
   p50 / p95 / max per query and the wall's full refresh: its queries one after the other
   (what the targets are judged on) and, for the new views, 5 at a time as a browser tab
   sends them. `--costs` adds what each query read (rows, bytes, memory) from the query log.
   The machine's load average is printed with the results.

Nothing is asserted; the README records a run. The country volume needs about 15 GB of disk
and tens of minutes: `--scale` shrinks any volume (rows, not years).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.history import VOLUMES, generate
from bench.query_timing import (
    GRAFANA_PARALLEL_REQUESTS,
    RANGES,
    Cost,
    Pass,
    costs,
    percentile,
    queries,
    run_round,
    run_wall_concurrent,
)
from cityops import localstack
from cityops.db.backfill import backfill
from cityops.db.client import READ_SETTINGS, make_client
from cityops.db.databases import api_database
from cityops.db.day_rollup import roll_changed
from cityops.db.dossier_rollup import DOSSIER_KPIS
from cityops.db.migrate import discover, load_reference, migrate
from cityops.db.payment_rollup import PAYMENTS
from cityops.db.tables import TABLES, qualified
from cityops.reference import load_reference as read_reference
from cityops.settings import REFERENCE_DIR

console = Console()

#: The last migration of the query-time views (the baseline this benchmark compares with).
BASELINE_MIGRATION = 5
#: Later migrations whose views are still query-time and that today's queries need (020:
#: `v_alerts` with its `backlog` column, still `alerts FINAL`).
BASELINE_LATER = (20,)


def create_baseline_views(client: Any, database: str, baseline: str) -> None:
    """Today's views in `baseline`, rendered from their migration files, reading `database`'s
    tables where they are now (a table of the read API moved to the reader's database)."""
    client.execute(f"CREATE DATABASE IF NOT EXISTS {baseline}")
    tables = {t.name for t in TABLES}
    for migration in discover():
        if migration.version > BASELINE_MIGRATION and migration.version not in BASELINE_LATER:
            continue
        for statement in migration.statements(baseline):
            if not statement.lstrip().upper().startswith(("CREATE VIEW", "DROP TABLE")):
                continue
            for table in tables:
                statement = statement.replace(f"{baseline}.{table}", qualified(table, database))
            client.execute(statement)


def table_sizes(client: Any, database: str) -> list[tuple[str, int, int]]:
    return client.execute(
        f"SELECT table, sum(rows), sum(bytes) FROM system.parts "
        f"WHERE database = '{database}' AND active GROUP BY table ORDER BY table"
    )


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.0f} ms"  # NaN: not measured


def load_average() -> str:
    """The machine's load (1, 5, 15 min): timings on a shared machine mean little without it."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else float("nan")


def report(results: dict[str, tuple[Pass, Pass]], volume: str) -> None:
    """The summary as a Markdown table, ready for the README, with the machine's load."""
    columns = (
        "range",
        "views",
        "queries",
        "p50",
        "p95",
        "max",
        "wall refresh, one after the other (median)",
        f"wall refresh, {GRAFANA_PARALLEL_REQUESTS} at a time (median)",
    )
    lines = [
        f"bench-queries: {volume}, {time.strftime('%Y-%m-%d %H:%M')} UTC, {load_average()}",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + " --- |" * len(columns),
    ]
    for range_name, passes in results.items():
        for result in passes:
            times = result.all_times()
            if not times:
                continue
            notes = [f"{len(result.timed_out)} hit the cap"] if result.timed_out else []
            if result.incomparable:
                notes.append(f"{len(result.incomparable)} not comparable, left out")
            cells = (
                range_name,
                result.label,
                f"{len(result.seconds)}" + (f" ({', '.join(notes)})" if notes else ""),
                _ms(percentile(times, 0.5)),
                _ms(percentile(times, 0.95)),
                _ms(times[-1]),
                _ms(_median(result.wall_refresh)),
                _ms(_median(result.wall_concurrent)),
            )
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for range_name, (new, old) in results.items():
        if new.all_times() and old.all_times():
            ratio = percentile(old.all_times(), 0.95) / percentile(new.all_times(), 0.95)
            lines.append(f"{range_name}: p95 query-time / pre-aggregated views {ratio:,.1f}x")
    lines += [
        "",
        "Targets are judged on the one-after-the-other refresh (the wall's queries on one "
        f"connection, the slower figure); a browser tab sends {GRAFANA_PARALLEL_REQUESTS} at "
        "a time. A baseline query that hit the cap counts as the cap (its p95 is a floor).",
    ]
    print("\n".join(lines))
    for range_name, passes in results.items():
        for result in passes:
            worst = ", ".join(f"{o} {_ms(t)}" for o, t in result.slowest())
            if worst:
                print(f"slowest, {range_name}, {result.label}: {worst}")


def report_costs(found: list[Cost], range_name: str) -> None:
    table = Table(title=f"what each query reads, {range_name} (system.query_log, one run)")
    for column in ("query", "time", "rows read", "MiB read", "memory MiB"):
        table.add_column(column)
    for cost in found:
        table.add_row(
            cost.origin,
            _ms(cost.seconds),
            f"{cost.read_rows:,}",
            f"{cost.read_bytes / 2**20:,.1f}",
            f"{cost.memory_bytes / 2**20:,.1f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volume", choices=sorted(VOLUMES), default="province")
    parser.add_argument("--scale", type=float, default=1.0, help="rows x this (default 1)")
    parser.add_argument(
        "--days", type=int, help="generate only the last DAYS at the volume's rows per day"
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the new views")
    parser.add_argument(
        "--baseline-rounds", type=int, default=1, help="rounds of today's views (0: skip)"
    )
    parser.add_argument(
        "--baseline-timeout", type=int, default=10, help="seconds before a baseline query stops"
    )
    parser.add_argument(
        "--costs", action="store_true", help="also print what each query reads (query log)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--reuse", help="upgrade and time an existing scratch database (from --keep)"
    )
    args = parser.parse_args()
    volume = VOLUMES[args.volume].scaled(args.scale)
    if args.days:
        volume = volume.recent(args.days)

    settings = localstack.clickhouse_settings()
    client = make_client(settings, migrator=True, send_receive_timeout=3600)
    database = args.reuse or f"cityops_benchq_{uuid.uuid4().hex[:6]}"
    baseline = f"{database}_today"
    try:
        if not args.reuse:
            console.print(f"[bold]{volume.name}[/]: {volume} into {database}")
            old = [m for m in discover() if m.version <= BASELINE_MIGRATION]
            migrate(client, database, old)
            took = generate(client, database, volume, read_reference(REFERENCE_DIR))
            console.print(
                "history generated: " + ", ".join(f"{t} {s:.1f} s" for t, s in took.items())
            )
        began = time.monotonic()
        applied = migrate(client, database)
        migrated = time.monotonic() - began
        # Into the reader's database, which the upgrade made.
        load_reference(client, database, read_reference(REFERENCE_DIR))
        if not args.reuse:
            create_baseline_views(client, database, baseline)
        filled = backfill(client, database)
        # What the first `cityops db compact` after the upgrade does with the dossier KPIs and
        # payments the backfill just wrote: roll their settled days. Nothing else writes here,
        # so without the minute's margin a deployment's compaction keeps for its workers'
        # inserts.
        time.sleep(1)
        began = time.monotonic()
        rolled = roll_changed(client, database, DOSSIER_KPIS, margin_seconds=0)
        paid = roll_changed(client, database, PAYMENTS, margin_seconds=0)
        console.print(
            f"upgrade: {len(applied)} migrations {migrated:.1f} s, backfill "
            + ", ".join(f"{t} {s:.1f} s" for t, s in filled.items())
            + f"; compaction rolled up {rolled} settled days of dossier KPIs and {paid} of "
            f"payments in {time.monotonic() - began:.1f} s"
        )
        for name, rows, size in [
            *table_sizes(client, database),
            *table_sizes(client, api_database(database)),
        ]:
            console.print(f"  {name}: {rows:,} rows, {size / 2**20:,.0f} MiB")
        now = datetime.now(UTC).replace(microsecond=0)
        results: dict[str, tuple[Pass, Pass]] = {}
        cap = {"max_execution_time": args.baseline_timeout}
        for range_name in RANGES:
            timed = queries(client_for(settings, database), range_name, now)
            new, old_views = Pass("pre-aggregated"), Pass("today's views")
            reader = client_for(settings, database)
            connect = partial(client_for, settings, database)
            for round_ in range(max(args.rounds, args.baseline_rounds)):
                if round_ < args.rounds:
                    run_round(reader, timed, new, dict(READ_SETTINGS))
                    run_wall_concurrent(connect, timed, new, dict(READ_SETTINGS))
                if round_ < args.baseline_rounds:
                    run_round(reader, timed, old_views, cap, rewrite=baseline)
            if args.costs:
                report_costs(costs(reader, timed, dict(READ_SETTINGS)), range_name)
            reader.disconnect()
            results[range_name] = (new, old_views)
        report(results, volume.name)
    finally:
        if not args.keep:
            for scratch in (baseline, database, api_database(database)):
                client.execute(f"DROP DATABASE IF EXISTS {scratch}")
        else:
            console.print(f"kept {database} and {baseline} (--reuse {database})")
        client.disconnect()


def client_for(settings: Any, database: str) -> Any:
    """A client on the scratch database's read API, like Grafana's datasource (queries are
    unqualified)."""
    return make_client(
        settings.model_copy(update={"database": api_database(database)}),
        database=True,
        send_receive_timeout=3600,
    )


if __name__ == "__main__":
    main()

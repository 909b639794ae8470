"""`make bench-queries`: what the dashboards cost as history grows, new views against today's.

1. A scratch database gets the schema of the views as they were before the pre-aggregated
   tables (migrations up to `BASELINE_MIGRATION`), then synthetic history (bench/history.py,
   generated inside ClickHouse at the chosen volume).
2. A second scratch database gets those old views' definitions, rendered from the same
   migration files, reading the first database's tables: the baseline.
3. The first database is upgraded to the latest migrations and backfilled with
   `cityops db backfill`'s code, as a live deployment would be (both are timed).
4. Every rendered dashboard and alert-rule query (bench/query_timing.py) runs over the last
   30 days and over today, rounds of new and baseline interleaved, and the table prints
   p50 / p95 / max per query and the wall's full refresh (its queries one after the other).

Nothing is asserted; the README records a run. The country volume needs about 15 GB of disk
and tens of minutes: `--scale` shrinks any volume (rows, not years).
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.history import VOLUMES, generate
from bench.query_timing import RANGES, Pass, percentile, queries, run_round
from cityops import localstack
from cityops.db.backfill import backfill
from cityops.db.client import READ_SETTINGS, make_client
from cityops.db.databases import api_database
from cityops.db.migrate import discover, load_reference, migrate
from cityops.db.tables import TABLES, qualified
from cityops.reference import load_reference as read_reference
from cityops.settings import REFERENCE_DIR

console = Console()

#: The last migration of the query-time views (the baseline this benchmark compares with).
BASELINE_MIGRATION = 5


def create_baseline_views(client: Any, database: str, baseline: str) -> None:
    """Today's views in `baseline`, rendered from their migration files, reading `database`'s
    tables where they are now (a table of the read API moved to the reader's database)."""
    client.execute(f"CREATE DATABASE IF NOT EXISTS {baseline}")
    tables = {t.name for t in TABLES}
    for migration in discover():
        if migration.version > BASELINE_MIGRATION:
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
    return f"{seconds * 1000:,.0f} ms"


def report(results: dict[str, tuple[Pass, Pass]], volume: str) -> None:
    table = Table(title=f"bench-queries: {volume}")
    for column in ("range", "views", "queries", "p50", "p95", "max", "wall refresh (median)"):
        table.add_column(column)
    for range_name, passes in results.items():
        for result in passes:
            times = result.all_times()
            if not times:
                continue
            refresh = sorted(result.wall_refresh)[len(result.wall_refresh) // 2]
            timeouts = f" ({len(result.timed_out)} timed out)" if result.timed_out else ""
            table.add_row(
                range_name,
                result.label,
                f"{len(result.seconds)}{timeouts}",
                _ms(percentile(times, 0.5)),
                _ms(percentile(times, 0.95)),
                _ms(times[-1]),
                _ms(refresh),
            )
    console.print(table)
    for range_name, passes in results.items():
        for result in passes:
            worst = ", ".join(f"{o} {_ms(t)}" for o, t in result.slowest())
            if worst:
                console.print(f"slowest, {range_name}, {result.label}: {worst}")


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
        "--baseline-timeout", type=int, default=60, help="seconds before a baseline query stops"
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
    client = make_client(settings, send_receive_timeout=3600)
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
        console.print(
            f"upgrade: {len(applied)} migrations {migrated:.1f} s, backfill "
            + ", ".join(f"{t} {s:.1f} s" for t, s in filled.items())
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
            for round_ in range(max(args.rounds, args.baseline_rounds)):
                if round_ < args.rounds:
                    run_round(reader, timed, new, dict(READ_SETTINGS))
                if round_ < args.baseline_rounds:
                    run_round(reader, timed, old_views, cap, rewrite=baseline)
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

"""`make bench`: the stream worker measured against a minimal consumer, in the same run.

Prints, for one worker on this machine:
- throughput: events/s from Kafka into the read-API tables (a backfill of simulated days),
  next to the ceiling (bench/ceiling.py: aiokafka -> clickhouse-driver raw inserts only) on
  the same events, and the ratio;
- freshness: event-to-view latency p50/p95/p99 at a steady rate (default 1,000 events/s);
- table state (bench/state.py): memory holding N open dossiers (default 1,000,000) and the
  restart per store, the failover of two workers with and without a standby.
Nothing here is asserted by tests; the README records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import mode.loop
from rich.console import Console
from rich.table import Table

from bench.ceiling import drain
from bench.harness import count, private_settings, settle, start_worker, stop, wait_for
from bench.state import state_rows
from cityops.contract import DOSSIER, PORTAL, Envelope
from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.db.tables import PORTAL_EVENTS, RAW_TABLES
from cityops.kafka import make_producer
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from connectors.simulator import generate

console = Console()
LOGS = Path(".stack/bench")


def simulated(events: int) -> list[Envelope]:
    """Whole simulated days, one after the other, until there are enough events."""
    out: list[Envelope] = []
    day = date(2026, 3, 2)
    while len(out) < events:
        out += generate(day=day, hours=24, scale=4.0, seed=day.toordinal())
        day += timedelta(days=1)
    return out[:events]


def publish(settings: Settings, events: list[Envelope]) -> None:
    producer = make_producer(settings.kafka)
    for event in events:
        spec = DOSSIER if event.family == "dossier" else None
        topic = (spec or _spec(event)).name(settings.kafka.namespace)
        producer.send(topic, key=event.key().encode(), value=event.to_json_bytes())
    producer.flush()
    producer.close()


def _spec(event: Envelope):  # type: ignore[no-untyped-def]
    from cityops.contract import BY_FAMILY

    return BY_FAMILY[event.family]


def raw_total(client, database: str) -> int:  # type: ignore[no-untyped-def]
    return sum(count(client, database, spec.name) for spec in RAW_TABLES.values())


def throughput(events: int, rounds: int) -> dict[str, Any]:
    """Worker and ceiling on the same events, `rounds` times, interleaved.

    Each round publishes the events into fresh topics, drains them with a worker and then
    with the ceiling; medians over rounds damp this shared machine's noise (a single pair of
    runs swung the ratio by +-10%); the ratio reported is the median of the rounds' ratios.
    Freshness and the Faust floor are measured in round one.
    """
    batch = simulated(events)
    expected = len({e.event_id for e in batch})
    console.print(f"throughput: {len(batch):,} simulated events ({expected:,} distinct)")
    worker_rates: list[float] = []
    ceiling_rates: list[float] = []
    stock_rates: list[float] = []
    extra: dict[str, float] = {}
    for round_ in range(1, rounds + 1):
        with private_settings("tp") as settings:
            publish(settings, batch)
            # Each phase starts on a quiet ClickHouse (harness.settle), not on the merges
            # the phase before it left behind.
            migrator = make_client(settings.clickhouse, migrator=True)
            settle(migrator)
            worker_rates.append(worker_round(settings, expected, extra if round_ == 1 else None))
            settle(migrator)
            ceiling_rates.append(ceiling_round(settings, expected))
            settle(migrator)
            stock_rates.append(stock_round(settings, expected))
            if round_ == 1:
                extra["floor"] = faust_floor(settings, expected)
        console.print(
            f"  round {round_}: worker {worker_rates[-1]:,.0f} ev/s, "
            f"ceiling {ceiling_rates[-1]:,.0f} ev/s "
            f"({worker_rates[-1] / ceiling_rates[-1]:.2f}x), "
            f"stock batching {stock_rates[-1]:,.0f} ev/s "
            f"({stock_rates[-1] / worker_rates[-1]:.2f}x worker)"
        )
    return {
        "worker": statistics.median(worker_rates),
        "ceiling": statistics.median(ceiling_rates),
        "stock": statistics.median(stock_rates),
        "ratios": [w / c for w, c in zip(worker_rates, ceiling_rates, strict=True)],
        "stock_ratios": [s / w for s, w in zip(stock_rates, worker_rates, strict=True)],
        **extra,
    }


def worker_round(
    settings: Settings, expected: int, freshness: dict[str, float] | None, **env: str
) -> float:
    """Events/s of one worker draining the topics; measures freshness into `freshness`."""
    client = make_client(settings.clickhouse)
    database = settings.clickhouse.database
    label = env.get("CITYOPS_STREAMS__BATCHING", "worker")
    worker = start_worker(settings, LOGS / f"throughput-{label}.log", **env)
    try:
        wait_for(lambda: raw_total(client, database) > 0, timeout=120)
        started = time.monotonic()
        wait_for(lambda: raw_total(client, database) >= expected, timeout=1800, every=0.5)
        rate = expected / (time.monotonic() - started)
        if freshness is not None:
            # Steady state means the backfill's after-effects (thousands of overdue alerts of
            # the replayed days, their rows) are done too: let the worker go quiet first.
            time.sleep(20)
            freshness.update(steady_freshness(settings, client, database))
    finally:
        stop(worker)
    return rate


def stock_round(settings: Settings, expected: int) -> float:
    """Events/s of the same worker on faust-streaming's own batching (`take_events` agents,
    `streams.batching: stock`): same processors, sink, event loop and monitor, so the ratio
    to `worker_round` is what streams/runtime.py's drain loop buys. Its own consumer group
    and database; it also re-reads the alerts the first worker published (a few hundred
    records more work than the worker had)."""
    client = make_client(settings.clickhouse, migrator=True)
    stock = settings.model_copy(deep=True)
    stock.clickhouse.database = f"{settings.clickhouse.database}_stock"
    # Its own table folder: Faust's RocksDB store keeps a partition's changelog offset under
    # one key whatever the topic, so the first worker's files would fail its recovery.
    stock.state_dir = settings.state_dir / "stock"
    migrate(client, stock.clickhouse.database)
    load_reference(client, stock.clickhouse.database, read_reference(stock.reference_dir))
    try:
        return worker_round(
            stock,
            expected,
            None,
            CITYOPS_STREAMS__BATCHING="stock",
            CITYOPS_STREAMS__APP_ID=f"{settings.streams.app_id}-stock",
        )
    finally:
        for database in (stock.clickhouse.database, stock.clickhouse.api_database):
            client.execute(f"DROP DATABASE IF EXISTS {database}")


def ceiling_round(settings: Settings, expected: int) -> float:
    client = make_client(settings.clickhouse, migrator=True)
    ceiling_settings = settings.model_copy(deep=True)
    ceiling_settings.clickhouse.database = f"{settings.clickhouse.database}_ceiling"
    migrate(client, ceiling_settings.clickhouse.database)
    # The ceiling runs on the worker's event loop (uvloop by default): the ratio compares
    # the work done, not the loops.
    mode.loop.use(settings.streams.event_loop)
    try:
        return asyncio.run(drain(ceiling_settings, expected))
    finally:
        for database in (
            ceiling_settings.clickhouse.database,
            ceiling_settings.clickhouse.api_database,
        ):
            client.execute(f"DROP DATABASE IF EXISTS {database}")


def faust_floor(settings: Settings, expected: int) -> float:
    """Events/s of Faust agents that do nothing but count and ack (bench/faust_floor.py)."""
    import subprocess
    import sys

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.faust_floor",
            "--namespace",
            settings.kafka.namespace,
            "--expected",
            str(expected),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rate = float("nan")
    deadline = threading.Timer(600, child.kill)  # never hang the benchmark on the child
    deadline.start()
    try:
        assert child.stderr is not None
        for line in child.stderr:
            # Faust's worker routes the child's stderr through its logger: "[...] RATE n".
            if "RATE " in line:
                rate = float(line.split("RATE ", 1)[1].split()[0])
                break
    finally:
        deadline.cancel()
        child.kill()
        child.wait()
    return rate


RATE = 1000
STEADY_SECONDS = 30


def steady_freshness(settings: Settings, client, database: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Portal events at a steady rate; every 20th is timed until it is visible in ClickHouse."""
    from cityops.contract import PortalEvent

    producer = make_producer(settings.kafka, linger_ms=0)
    topic = PORTAL.name(settings.kafka.namespace)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        poller = make_client(settings.clickhouse)
        while not done.is_set() or len(seen) < len(sent):
            pending = [i for i in list(sent) if i not in seen][:500]
            if pending:
                ids = ",".join(f"'{i}'" for i in pending)
                rows = poller.execute(
                    f"SELECT event_id FROM {database}.{PORTAL_EVENTS.name} "
                    f"WHERE event_id IN ({ids})"
                )
                now = time.monotonic()
                for (event_id,) in rows:
                    seen.setdefault(event_id, now)
            if done.is_set() and time.monotonic() - stopped_at[0] > 30:
                break
            time.sleep(0.05)

    stopped_at = [0.0]
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    started = time.monotonic()
    total = RATE * STEADY_SECONDS
    for n in range(total):
        target = started + n / RATE
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        event = PortalEvent.build(
            event_id=f"fresh-{n}",
            occurred_at=datetime.now(UTC),
            source="bench",
            kind="service_viewed",
            session_id=f"s{n % 97}",
            device="mobile",
        )
        producer.send(topic, key=event.key().encode(), value=event.to_json_bytes())
        if n % 20 == 0:
            sent[event.event_id] = time.monotonic()
    producer.flush()
    producer.close()
    stopped_at[0] = time.monotonic()
    done.set()
    thread.join(60)
    latencies = sorted(seen[i] - sent[i] for i in sent if i in seen)
    if not latencies:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "p50": quantiles[49],
        "p95": quantiles[94],
        "p99": quantiles[98],
        "timed": float(len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="worker/ceiling pairs (medians)")
    parser.add_argument("--open-dossiers", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--state-only", action="store_true", help="only the table-state figures (bench/state.py)"
    )
    parser.add_argument(
        "--stores",
        default="memory://,rocksdb://",
        help="table stores measured, the first the baseline (comma-separated)",
    )
    parser.add_argument(
        "--no-restart", action="store_true", help="memory only, no SIGKILL and restart"
    )
    parser.add_argument(
        "--failover-dossiers",
        type=int,
        default=100_000,
        help="open dossiers of the two-worker failover, with and without a standby (0 skips)",
    )
    args = parser.parse_args()

    table = Table(title="cityops stream worker (1 worker, this machine)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("vs baseline / target", justify="right")
    if not args.state_only:
        throughput_rows(table, args.events, args.rounds)
    if not args.skip_memory:
        stores = args.stores.split(",")
        state_rows(table, args.open_dossiers, stores, not args.no_restart, args.failover_dossiers)
    console.print(table)


def throughput_rows(table: Table, events: int, rounds: int) -> None:
    result = throughput(events, rounds)
    # The median of the rounds' own ratios: each pair ran back to back on the same load.
    ratio = statistics.median(result["ratios"])
    table.add_row(
        "ceiling: aiokafka -> raw inserts (median)", f"{result['ceiling']:,.0f} ev/s", "baseline"
    )
    table.add_row(
        "stock Faust floor: per-record agents that only ack",
        f"{result['floor']:,.0f} ev/s",
        f"{result['floor'] / result['ceiling']:.2f}x ceiling",
    )
    table.add_row(
        "worker: Kafka -> read API (median)",
        f"{result['worker']:,.0f} ev/s",
        f"{ratio:.2f}x ceiling (median of rounds: "
        + ", ".join(f"{r:.2f}x" for r in result["ratios"])
        + f"), {result['worker'] / result['floor']:.2f}x Faust floor "
        "(targets: >= 0.5x ceiling, >= 10,000 ev/s)",
    )
    table.add_row(
        "stock Faust batching: same processors on take_events agents (median)",
        f"{result['stock']:,.0f} ev/s",
        f"{statistics.median(result['stock_ratios']):.2f}x worker (rounds: "
        + ", ".join(f"{r:.2f}x" for r in result["stock_ratios"])
        + "; >= 0.8x would retire streams/runtime.py's drain loop)",
    )
    for q in ("p50", "p95", "p99"):
        table.add_row(
            f"freshness {q} at {RATE:,} ev/s",
            f"{result[q]:.2f} s",
            "target p95 < 2 s" if q == "p95" else "",
        )


if __name__ == "__main__":
    main()

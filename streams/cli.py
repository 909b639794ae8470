"""`cityops worker` and `cityops kpi`: run the stream workers, read today's figures."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cityops import servers
from cityops.cli.common import ConfigOption, setup
from cityops.settings import Settings
from cityops.timeutil import local_day

log = logging.getLogger("cityops.worker")

worker_app = typer.Typer(help="Run stream workers.")


def _refuse_bad_kafka_access(settings: Settings) -> None:
    """Exit 2 with one line when Kafka refuses these settings (password, certificate,
    protocol): Faust would otherwise retry them forever. A broker that is merely down is
    waited for like any other."""
    from cityops.kafka_access import AccessRefused, KafkaUnreachable, check_access

    try:
        check_access(settings.kafka)
    except AccessRefused as exc:
        log.error("worker not started: %s", exc)
        raise typer.Exit(2) from None
    except KafkaUnreachable:
        pass


def run_worker(config: ConfigOption, web_port: int) -> None:
    """One Faust worker in this process, until SIGTERM/SIGINT."""
    import faust
    import mode.loop

    from cityops.kafka_topics import apply_plans, check_plans
    from streams.app import create_app, standby_replicas
    from streams.gc_tuning import tune_gc
    from streams.sink.clickhouse import ClickHouseSink
    from streams.topics import internal_plans, plans_of, subscribed_topics

    settings = setup(config)
    _refuse_bad_kafka_access(settings)
    tune_gc(settings.streams.gc_threshold)
    mode.loop.use(settings.streams.event_loop)
    sink = ClickHouseSink.from_settings(
        settings.clickhouse,
        max_rows=settings.streams.batch_max_rows,
        max_age=settings.streams.batch_max_seconds,
    )
    ctx = create_app(settings, sink, web_port=web_port)
    wait_for_dependencies(settings, subscribed_topics(ctx))
    check_plans(settings.kafka, plans_of(ctx))  # a mismatch: one line, exit 1
    log.info(
        "worker %s starting: app %s, broker %s, ClickHouse %s/%s, http://127.0.0.1:%d/metrics",
        os.getpid(),
        ctx.app.conf.id,
        settings.kafka.bootstrap_servers,
        settings.clickhouse.host,
        settings.clickhouse.database,
        web_port,
    )
    if settings.streams.standby_replicas and not standby_replicas(settings.streams):
        log.warning(
            "streams.standby_replicas ignored: standby copies need streams.store rocksdb://"
        )
    # Changelogs and signals before the consumer starts: Faust's assignor ignores topics
    # missing from the metadata it fetched at start, and a worker taking over a partition
    # would recover no state until a metadata refresh minutes later (issue 7).
    apply_plans(settings.kafka, internal_plans(ctx))
    worker = faust.Worker(
        ctx.app,
        loglevel=settings.log_level.lower().replace("warning", "warn"),
        quiet=True,
        logfile=None,
    )
    try:
        worker.execute_from_commandline()
    finally:
        sink.close()


def wait_for_dependencies(settings: Settings, topics: list[str]) -> None:
    """Any start order: before its Faust app starts, a worker waits (one line each, then
    quiet) for Kafka, ClickHouse, the schema (`cityops db migrate`) and the topics it reads
    (`cityops kafka init`, polled every second so it subscribes within seconds of it).

    Started without these, Faust would give up on Kafka, write into missing tables, or
    subscribe to nothing until a metadata refresh minutes later.
    """
    from cityops.db.client import make_client
    from cityops.db.migrate import SchemaPending, pending_versions
    from cityops.kafka_topics import check_topics

    def schema() -> None:
        with servers.reported(settings):
            client = make_client(settings.clickhouse)
            try:
                pending = pending_versions(client, settings.clickhouse.database)
            finally:
                client.disconnect()
        if pending:
            address = f"{settings.clickhouse.host}:{settings.clickhouse.port}"
            raise SchemaPending(settings.clickhouse.database, address, pending)

    def topics_exist() -> None:
        with servers.reported(settings):
            check_topics(settings.kafka, topics)

    servers.await_servers(settings, log, kafka=True, clickhouse=True)
    servers.wait_until_up(schema, log)
    servers.wait_until_up(topics_exist, log, first_delay=1.0, max_delay=1.0)


def worker(
    config: ConfigOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-n", min=1, max=64, help="Worker processes; partitions spread over them."
        ),
    ] = 1,
    web_port: Annotated[
        int,
        typer.Option(
            help="HTTP port of the first worker (/health, /metrics); the next ones count up."
        ),
    ] = 6066,
) -> None:
    """Run N stream workers: Kafka -> state, KPIs and alerts -> ClickHouse.

    Each worker is a process of the same consumer group, so the topics' partitions (and the
    dossier state that goes with them) are spread over them; stopping one moves its share to
    the others. SIGTERM or Ctrl-C stops them gracefully: buffered rows are written and only
    then are offsets committed.
    """
    if workers == 1:
        run_worker(config, web_port)
        return
    base = [sys.executable, "-m", "cityops.cli.main", "worker", "--workers", "1"]
    if config:
        base += ["--config", str(config)]
    # Each its own state folder: RocksDB locks a table partition's database to one process.
    state_dir = setup(config).state_dir
    children = [
        subprocess.Popen(
            [*base, "--web-port", str(web_port + i)],
            env={**os.environ, "CITYOPS_STATE_DIR": str(state_dir / f"worker-{i}")},
        )
        for i in range(workers)
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(child.poll() is None for child in children):
        time.sleep(0.5)
    codes = [child.returncode for child in children]
    raise typer.Exit(max(abs(c) for c in codes) if any(codes) else 0)


def kpi(
    config: ConfigOption = None,
    day: Annotated[str, typer.Option(help="Local day YYYY-MM-DD (default today).")] = "",
) -> None:
    """Print a day's figures per agency from the read API (v_dossier_daily & co), as the
    reader account, in the reader's database (`<database>_api`)."""
    from cityops.db import agency_day
    from cityops.db.client import make_client

    settings = setup(config)
    servers.require(settings, clickhouse=True)
    target = day or local_day(datetime.now(UTC)).isoformat()
    rows = agency_day.fetch(
        make_client(settings.clickhouse, reader=True), settings.clickhouse.database, target
    )
    table = Table(title=f"cityops KPIs, {target} (Asia/Ho_Chi_Minh)")
    headers = (
        "agency",
        "received",
        "online %",
        "resolved",
        "on time %",
        "avg h",
        "open",
        "overdue",
        "paid",
        "cashless %",
        "VND",
        "ratings",
        "satisfied %",
    )
    for column in headers:
        table.add_column(column, justify="left" if column == "agency" else "right")
    for r in rows:
        avg = r.avg_processing_hours
        table.add_row(
            r.agency_code,
            str(r.received),
            _pct(r.online_received, r.received),
            str(r.resolved),
            _pct(r.resolved_on_time, r.resolved),
            "-" if avg is None else f"{avg:.1f}",
            str(r.open),
            str(r.overdue),
            str(r.succeeded),
            _pct(r.cashless_succeeded, r.succeeded),
            f"{r.amount_vnd:,}",
            str(r.ratings),
            _pct(r.satisfied_ratings, r.ratings),
        )
    Console().print(table)


def _pct(part: float, whole: float) -> str:
    return "-" if not whole else f"{100 * part / whole:.0f}%"

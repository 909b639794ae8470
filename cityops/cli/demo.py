"""`cityops demo`: the whole pipeline on the local stack, fed by the simulator, on one screen.

Starts a stream worker and the simulator (the last days backfilled at speed, then live mode,
sped up) as child processes, then shows events flowing per topic, today's KPIs and the
firing alerts per agency and kind until Ctrl-C, when it stops the children gracefully
(SIGTERM: they flush and commit) and prints where their logs are.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from cityops import servers
from cityops.cli.common import ConfigOption, console, setup
from cityops.cli.stack import ensure_local_secrets
from cityops.contract import ALL_TOPICS
from cityops.settings import Settings


def _offsets(settings: Settings, consumer: Any) -> dict[str, int]:
    from kafka import TopicPartition

    counts = {}
    for spec in ALL_TOPICS:
        name = spec.name(settings.kafka.namespace)
        partitions = consumer.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in partitions]
        counts[spec.base] = sum(consumer.end_offsets(tps).values()) if tps else 0
    return counts


def _query(client: Any, sql: str) -> list[tuple[Any, ...]]:
    try:
        return client.execute(sql)
    except Exception:  # the views appear once migrations ran; show nothing until then
        return []


def _fetch_days(client: Any, database: str) -> list[Any]:
    from cityops.db import agency_day

    try:
        return agency_day.fetch(client, database)
    except Exception:  # the views appear once migrations ran; show nothing until then
        return []


def render(
    settings: Settings, consumer: Any, client: Any, started: float, previous: dict[str, int]
) -> tuple[Group, dict[str, int]]:
    from cityops.db.tables import V_ALERTS, qualified
    from dashboards.alerting import pages

    db = settings.clickhouse.database
    offsets = _offsets(settings, consumer)
    flow = Table("topic", "events", "+since last", title="Kafka: events per topic")
    for topic, count in offsets.items():
        flow.add_row(topic, f"{count:,}", f"+{count - previous.get(topic, count):,}")

    kpis = Table(
        "agency",
        "received",
        "resolved",
        "on time",
        "open",
        "overdue",
        "cashless",
        title="Today (Asia/Ho_Chi_Minh), from the read API",
    )
    for r in _fetch_days(client, db)[:12]:
        kpis.add_row(
            r.agency_code,
            str(r.received),
            str(r.resolved),
            f"{r.resolved_on_time / r.resolved:.0%}" if r.resolved else "-",
            str(r.open),
            str(r.overdue),
            f"{r.cashless_succeeded / r.succeeded:.0%}" if r.succeeded else "-",
        )

    alerts = Table(
        "agency", "kind", "firing", "severity", title="Pages: firing alerts per agency and kind"
    )
    # The grouping Grafana pages the duty officers with (dashboards/alerting/pages.py).
    for agency, kind, severity, count in _query(
        client,
        f"SELECT * FROM ({pages.firing_sql(qualified(V_ALERTS, db))}) ORDER BY value DESC LIMIT 8",
    ):
        style = "red" if severity == "critical" else "yellow"
        alerts.add_row(agency or "-", kind, f"{count:,.0f}", f"[{style}]{severity}[/]")
    footer = f"running {time.monotonic() - started:,.0f}s - Ctrl-C stops everything cleanly"
    return Group(flow, kpis, alerts, Panel(footer)), offsets


def demo(
    config: ConfigOption = None,
    speedup: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
    scale: Annotated[float, typer.Option(help="Province size (1.0 = ~2,000 dossiers/day).")] = 1.0,
    backfill_days: Annotated[
        int,
        typer.Option(help="Working days sent at speed before going live: the wall opens full."),
    ] = 1,
    refresh: Annotated[float, typer.Option(help="Screen refresh, seconds.")] = 2.0,
    logs: Annotated[Path, typer.Option(help="Where the children's logs go.")] = Path(".stack/demo"),
) -> None:
    """Run worker + live simulator and watch events, KPIs and alerts until Ctrl-C.

    The simulator first sends the last `--backfill-days` days up to now at speed, so the
    first minute already shows resolutions, on-time rates, overdue dossiers and alerts.
    """
    from cityops.db.client import make_client
    from cityops.db.migrate import load_reference, migrate
    from cityops.kafka import make_consumer
    from cityops.reference import load_reference as read_reference
    from streams.topics import init_topics

    ensure_local_secrets()  # before the settings, so the demo's processes share one key
    settings = setup(config)
    servers.require(settings, kafka=True, clickhouse=True)
    migrator = make_client(settings.clickhouse, migrator=True)
    try:
        migrate(migrator, settings.clickhouse.database)
        reference = read_reference(settings.reference_dir)
        load_reference(migrator, settings.clickhouse.database, reference)
    finally:
        migrator.disconnect()
    client = make_client(settings.clickhouse, reader=True)
    init_topics(settings)
    logs.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "cityops.cli.main"]
    if config:
        base += ["--config", str(config)]
    children = {
        "worker": subprocess.Popen(
            [*base, "worker"], stdout=(logs / "worker.log").open("ab"), stderr=subprocess.STDOUT
        ),
        "simulator": subprocess.Popen(
            [
                *base,
                "simulate",
                "--live",
                "--speedup",
                str(speedup),
                "--scale",
                str(scale),
                "--backfill-days",
                str(backfill_days),
            ],
            stdout=(logs / "simulator.log").open("ab"),
            stderr=subprocess.STDOUT,
        ),
        "maintenance": subprocess.Popen(
            [*base, "db", "compact", "--every", "600"],
            stdout=(logs / "maintenance.log").open("ab"),
            stderr=subprocess.STDOUT,
        ),
    }
    consumer = make_consumer(settings.kafka)
    started = time.monotonic()
    previous: dict[str, int] = {}
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        with Live(console=console, refresh_per_second=1, screen=False) as live:
            while not stop["now"]:
                view, previous = render(settings, consumer, client, started, previous)
                live.update(view)
                for name, child in children.items():
                    if child.poll() is not None and name == "worker":
                        console.print(f"[red]{name} exited ({child.returncode}); see {logs}[/]")
                        stop["now"] = True
                time.sleep(refresh)
    except KeyboardInterrupt:
        pass
    finally:
        console.print("stopping: simulator, then worker (they flush before exiting)...")
        for name in ("simulator", "worker"):
            child = children[name]
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(60)
                except subprocess.TimeoutExpired:
                    child.kill()
            console.print(
                f"{name} stopped (exit {child.returncode}), log: {logs / (name + '.log')}"
            )
        consumer.close()

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

from cityops.cli.common import ConfigOption, setup
from cityops.timeutil import local_day

log = logging.getLogger("cityops.worker")

worker_app = typer.Typer(help="Run stream workers.")


def run_worker(config: ConfigOption, web_port: int) -> None:
    """One Faust worker in this process, until SIGTERM/SIGINT."""
    import faust

    from streams.app import create_app
    from streams.sink.clickhouse import ClickHouseSink

    settings = setup(config)
    sink = ClickHouseSink.from_settings(
        settings.clickhouse,
        max_rows=settings.streams.batch_max_rows,
        max_age=settings.streams.batch_max_seconds,
    )
    ctx = create_app(settings, sink, web_port=web_port)
    log.info(
        "worker %s starting: app %s, broker %s, ClickHouse %s/%s, http://127.0.0.1:%d/metrics",
        os.getpid(),
        ctx.app.conf.id,
        settings.kafka.bootstrap_servers,
        settings.clickhouse.host,
        settings.clickhouse.database,
        web_port,
    )
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
    children = [subprocess.Popen([*base, "--web-port", str(web_port + i)]) for i in range(workers)]

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
    """Print a day's figures per agency from the read API (v_dossier_daily & co)."""
    from cityops.db.client import make_client
    from cityops.db.tables import V_DOSSIER_DAILY, V_DOSSIER_OPEN, V_PAYMENT_DAILY, V_PORTAL_DAILY

    settings = setup(config)
    target = day or local_day(datetime.now(UTC)).isoformat()
    db = settings.clickhouse.database
    client = make_client(settings.clickhouse)
    query = f"""
        SELECT a.agency_code, a.received, a.online_received, a.resolved, a.resolved_on_time,
               a.avg_processing_hours, o.open, o.overdue, p.succeeded, p.cashless_succeeded,
               p.amount_vnd, r.ratings, r.satisfied_ratings
        FROM (SELECT agency_code, sum(received) AS received,
                     sum(online_received) AS online_received,
                     sum(resolved) AS resolved, sum(resolved_on_time) AS resolved_on_time,
                     if(sum(resolved) = 0, 0, sum(avg_processing_hours * resolved) / sum(resolved))
                       AS avg_processing_hours
              FROM {db}.{V_DOSSIER_DAILY} WHERE day = toDate('{target}') GROUP BY agency_code) AS a
        LEFT JOIN (SELECT agency_code, count() AS open, sum(is_overdue) AS overdue
                   FROM {db}.{V_DOSSIER_OPEN} GROUP BY agency_code) AS o USING agency_code
        LEFT JOIN (SELECT agency_code, sum(succeeded) AS succeeded,
                          sum(cashless_succeeded) AS cashless_succeeded,
                          sum(amount_vnd) AS amount_vnd
                   FROM {db}.{V_PAYMENT_DAILY} WHERE day = toDate('{target}')
                   GROUP BY agency_code) AS p USING agency_code
        LEFT JOIN (SELECT agency_code, sum(ratings) AS ratings,
                          sum(satisfied_ratings) AS satisfied_ratings
                   FROM {db}.{V_PORTAL_DAILY} WHERE day = toDate('{target}')
                   GROUP BY agency_code) AS r USING agency_code
        ORDER BY a.received DESC
    """
    rows = client.execute(query)
    table = Table(title=f"cityops KPIs, {target} (Asia/Ho_Chi_Minh)")
    for column in (
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
    ):
        table.add_column(column, justify="right" if column != "agency" else "left")
    for agency, rec, onl, res, ont, avg, opn, ovd, paid, cashless, amount, rat, sat in rows:
        table.add_row(
            agency,
            str(rec),
            _pct(onl, rec),
            str(res),
            _pct(ont, res),
            f"{avg:.1f}",
            str(opn),
            str(ovd),
            str(paid),
            _pct(cashless, paid),
            f"{amount:,}",
            str(rat),
            _pct(sat, rat),
        )
    Console().print(table)


def _pct(part: float, whole: float) -> str:
    return "-" if not whole else f"{100 * part / whole:.0f}%"

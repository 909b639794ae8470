"""`cityops simulate`: a realistic day of the province, published to Kafka."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cityops import servers
from cityops.cli.common import ConfigOption, console, setup
from cityops.timeutil import TZ
from connectors.simulator.generator import generate
from connectors.simulator.pacing import Pacer
from connectors.simulator.runner import KafkaSink, Sink, Tally, run


class Mode(StrEnum):
    KAFKA = "kafka"
    ADAPTERS = "adapters"


HELP = (
    "Simulate the province's dossiers, payments and portal activity, and publish them.\n\n"
    "Events are seeded and deterministic: the same --day, --seed and --scale give the same "
    "events. A working day at --scale 1 has about 2,000 dossiers (weekends and holidays are "
    "quiet); offices work 7:30-17:00 with a lunch dip; a few agencies run late; one payment "
    "provider has a bad hour.\n\n"
    "--mode kafka publishes straight to the contract topics. --mode adapters serves the "
    "dossier changes from a local fake e-dossier API that the real pull adapter polls, and "
    "POSTs payment and portal events, signed, to the real push adapter's webhook receiver.\n\n"
    "Examples:\n\n"
    "cityops simulate --day 2025-03-12  (a whole day, as fast as possible)\n\n"
    "cityops simulate --day 2025-03-12 --speedup 120  (the day replayed in 12 minutes)\n\n"
    "cityops simulate --live --speedup 60  (a working day from now, an hour a minute)\n\n"
    "cityops simulate --day 2025-03-12 --duplicates 0.05 --shuffle 500  (a messy feed)\n\n"
    "cityops simulate --day 2025-03-12 --mode adapters  (through the real adapters)"
)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C/SIGTERM: stop sending, flush, print the summary; a second one aborts."""

    def handler(_signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        console.print("[yellow]stopping: flushing what was sent (again to abort)[/]")
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _summary(tally: Tally, elapsed: float) -> Table:
    table = Table(title="cityops simulate: summary")
    table.add_column("topic", no_wrap=True)
    for name in ("sent", "acked", "failed", "dead-lettered"):
        table.add_column(name, justify="right")
    for topic in sorted(tally.emitted):
        table.add_row(
            topic,
            str(tally.emitted[topic]),
            str(tally.acked[topic]),
            str(tally.failed[topic]),
            str(tally.dead_lettered[topic]),
        )
    total = sum(tally.emitted.values())
    rate = f"{total / elapsed:,.0f}/s" if elapsed > 0 else "-"
    table.caption = f"{total} events in {elapsed:.1f}s ({rate})" + (
        ", interrupted" if tally.interrupted else ""
    )
    return table


def simulate(
    day: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Local day to simulate (default: today)."),
    ] = None,
    live: Annotated[
        bool, typer.Option(help="Now-relative timestamps; some dossiers fall due minutes from now.")
    ] = False,
    at: Annotated[str, typer.Option(help="Start time of --day, HH:MM local.")] = "00:00",
    hours: Annotated[float, typer.Option(min=0.01, help="Length of the simulated window.")] = 24.0,
    scale: Annotated[
        float, typer.Option(min=0.001, help="1.0 = ~2,000 dossiers a working day.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 1,
    rate: Annotated[
        float | None, typer.Option(min=0.001, metavar="EVENTS_PER_S", help="Throttle.")
    ] = None,
    speedup: Annotated[
        float | None,
        typer.Option(min=0.001, help="Replay event time X times faster than real (sleeps)."),
    ] = None,
    duplicates: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fraction of events re-sent (same event_id).")
    ] = 0.0,
    shuffle: Annotated[
        int,
        typer.Option(
            min=0,
            metavar="WINDOW",
            help="Emit out of order within WINDOW events (some resolved before received).",
        ),
    ] = 0,
    backlog_days: Annotated[
        int,
        typer.Option(min=0, help="Also emit in-window changes of dossiers begun N days before."),
    ] = 0,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N events.")] = None,
    backfill_days: Annotated[
        int,
        typer.Option(
            min=0,
            help="With --live: first send the last N working days up to now, unpaced (a demo).",
        ),
    ] = 0,
    mode: Annotated[
        Mode, typer.Option(case_sensitive=False, help="kafka or adapters.")
    ] = Mode.KAFKA,
    config: ConfigOption = None,
) -> None:
    settings = setup(config)
    if live and day is not None:
        raise typer.BadParameter("give --day or --live, not both")
    try:
        start_time = time.fromisoformat(at)
    except ValueError:
        raise typer.BadParameter(f"--at wants HH:MM, got {at!r}") from None
    if mode == Mode.ADAPTERS and shuffle:
        # A change feed is ordered by change time: a back-dated record lands behind the
        # poller's cursor and is never read. Shuffling is for the kafka mode.
        raise typer.BadParameter("--shuffle needs --mode kafka (a change feed cannot reorder)")
    if live or speedup or rate:  # a feed that runs for a while: waits for Kafka like a connector
        servers.await_servers(settings, logging.getLogger("cityops.simulate"), kafka=True)
    else:
        servers.require(settings, kafka=True)
    the_day: date = day.date() if day else datetime.now(TZ).date()
    with console.status("generating events"):
        events = generate(
            start=None if live else datetime.combine(the_day, start_time, tzinfo=TZ),
            hours=hours,
            seed=seed,
            scale=scale,
            duplicates=duplicates,
            shuffle_window=shuffle,
            live=live,
            speedup=speedup or 1.0,
            limit=limit,
            backlog_days=backlog_days,
            hash_key=settings.hash_key,
        )
    # Pacing starts at the first event of the run (now, for a live one); a backfill lies
    # before it and so goes out at once, even when the live window drew no event.
    paced_from = min((e.occurred_at for e in events), default=datetime.now(TZ) if live else None)
    if backfill_days and live:
        from connectors.simulator.backfill import backfill_events

        with console.status("generating the backfill"):
            past = backfill_events(
                days=backfill_days,
                now=datetime.now(TZ),
                seed=seed,
                scale=scale,
                hash_key=settings.hash_key,
            )
        console.print(f"{len(past)} backfill events (the last {backfill_days} days until now)")
        events = past + events
    window = "live" if live else f"{the_day} {start_time:%H:%M} +{hours:g}h"
    console.print(f"{len(events)} events ({window}, seed {seed}, scale {scale:g}), mode {mode}")
    stop = threading.Event()
    # Live timestamps already run at --speedup; pacing then follows them in real time.
    pace = 1.0 if live else speedup
    anchor = paced_from if pace else None
    pacer = Pacer(rate=rate, speedup=pace, anchor=anchor, stop=stop)
    sink: Sink
    if mode == Mode.KAFKA:
        sink = KafkaSink(settings.kafka)
    else:
        from connectors.simulator.adapters_mode import AdaptersSink

        sink = AdaptersSink(settings, seed=seed)
    started = datetime.now()
    columns = (TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with _stop_on_signals(stop), Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("events", total=len(events))
        tally = run(
            events,
            sink,
            pacer,
            namespace=settings.kafka.namespace,
            on_progress=lambda n: progress.update(task, completed=n),
        )
    console.print(_summary(tally, (datetime.now() - started).total_seconds()))
    for error in tally.errors:
        console.print(f"[red]{error}[/]")
    if tally.errors or sum(tally.failed.values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Mount `simulate` on the `cityops` command."""
    app.command("simulate", help=HELP)(simulate)

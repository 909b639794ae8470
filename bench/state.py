"""`make bench`'s table-state figures: what holding many open dossiers costs, and how long a
worker's partitions stay unprocessed when it restarts or dies.

- memory and restart, per table store (memory:// the baseline): one worker's resident memory
  holding N open dossiers; then it is SIGKILLed, new dossiers arrive and a new worker starts on
  the same state folder: the seconds until they are stored;
- failover, with a standby replica and without (the baseline), both on RocksDB: two workers
  hold N open dossiers, one is SIGKILLed, new dossiers arrive on every partition: the seconds
  from the kill until they are all stored by the survivor, who either kept a warm copy of the
  dead worker's partitions or must read their changelogs first.

Each figure is printed with the machine's load average over its run (the machine is shared).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.harness import count, private_settings, rss_mib, start_worker, stop, wait_for
from cityops.contract import DOSSIER
from cityops.db.client import make_client
from cityops.db.tables import DOSSIER_STATE
from cityops.kafka import make_producer
from cityops.settings import Settings

console = Console()
LOGS = Path(".stack/bench")
#: New dossiers published after a restart or a kill: stored means caught up.
AFTER = 1000
#: How long the workers run idle once the dossiers are stored: commits, standby reads.
SETTLE_SECONDS = 10.0
#: A failover not caught up after this long is reported as such (seen at load ~36).
FAILOVER_LIMIT = 900.0


@dataclass
class Load:
    """The 1-minute load average at a measurement's start and end."""

    start: float
    end: float = 0.0

    @classmethod
    def now(cls) -> Load:
        return cls(os.getloadavg()[0])

    def done(self) -> Load:
        self.end = os.getloadavg()[0]
        return self

    def __str__(self) -> str:
        return f"load {self.start:.1f}-{self.end:.1f}"


def dossier_template() -> tuple[bytes, bytes]:
    """A received dossier's JSON, split where its event id goes (ids are spliced in)."""
    from cityops.contract import DossierEvent

    now = datetime.now(UTC)
    template = DossierEvent.build(
        event_id="E",
        occurred_at=now,
        source="bench",
        dossier_id="D",
        status="received",
        procedure_code="1.001193",
        field_code="HT",
        agency_code="UBND-356",
        area_code="356",
        channel="online",
        online_level="full",
        applicant_type="citizen",
        applicant_ref="0" * 40,
        received_at=now,
        due_at=now + timedelta(days=30),
    ).to_json_bytes()
    head, tail = template.split(b'"event_id":"E"', 1)
    return head, tail


def open_dossiers_feed(settings: Settings, first: int, last: int) -> None:
    """Publish one received dossier for each number in [first, last)."""
    head, tail = dossier_template()
    producer = make_producer(settings.kafka)
    topic = DOSSIER.name(settings.kafka.namespace)
    for n in range(first, last):
        dossier = f"M{n:08d}".encode()
        value = (head + b'"event_id":"e' + dossier + b'"' + tail).replace(
            b'"dossier_id":"D"', b'"dossier_id":"' + dossier + b'"'
        )
        producer.send(topic, key=dossier, value=value)
    producer.flush()
    producer.close()


class Dossiers:
    """Open dossiers published into a private namespace, and how many are stored."""

    def __init__(self, settings: Settings, n: int) -> None:
        self.settings, self.n = settings, n
        self.client = make_client(settings.clickhouse)
        open_dossiers_feed(settings, 0, n)

    def stored(self, n: int) -> bool:
        database = self.settings.clickhouse.database
        return count(self.client, database, DOSSIER_STATE.name, "dossier_id") >= n

    def wait_stored(self, n: int, every: float = 2.0, timeout: float = 3600) -> float:
        return wait_for(lambda: self.stored(n), timeout=timeout, every=every)

    def add_after(self) -> None:
        open_dossiers_feed(self.settings, self.n, self.n + AFTER)

    def close(self) -> None:
        self.client.disconnect()


def memory(open_dossiers: int, store: str, restart: bool = True) -> dict[str, Any]:
    """RSS of one worker holding `open_dossiers` in `store`; then (with `restart`) the worker is
    SIGKILLed, new dossiers arrive and a new worker on the same state folder starts: the time
    until they are stored is the restart's cost (a memory store re-reads every changelog,
    RocksDB only what its local copy lacks)."""
    console.print(f"memory: {open_dossiers:,} open dossiers, store {store}")
    env = {"CITYOPS_STREAMS__STORE": store}
    result: dict[str, Any] = {}
    with private_settings("mem") as settings:
        dossiers = Dossiers(settings, open_dossiers)
        load = Load.now()
        worker = start_worker(settings, LOGS / "memory-worker.log", **env)
        try:
            wait_for(lambda: worker.poll() is None and rss_mib(worker.pid) > 0, timeout=30)
            time.sleep(5)
            result["baseline_mib"] = rss_mib(worker.pid)
            result["rate"] = open_dossiers / dossiers.wait_stored(open_dossiers)
            time.sleep(SETTLE_SECONDS)  # a commit interval and a flush: the next one's start
            result["rss_mib"] = rss_mib(worker.pid)
            result["peak_mib"] = peak_mib(worker.pid)
        finally:
            worker.kill()
            worker.wait(30)
        result["load"] = load.done()
        if restart:
            dossiers.add_after()
            load = Load.now()
            restarted = start_worker(settings, LOGS / "restart-worker.log", **env)
            try:
                result["restart_s"] = dossiers.wait_stored(open_dossiers + AFTER, every=0.5)
            finally:
                stop(restarted)
            result["restart_load"] = load.done()
        dossiers.close()
    console.print(f"  {store}: {result}")  # as it comes: a long run may be cut short
    return result


def failover(open_dossiers: int, standby_replicas: int) -> dict[str, Any]:
    """Two RocksDB workers with `standby_replicas` hold `open_dossiers`; one is SIGKILLed and
    AFTER new dossiers arrive: seconds from the kill until the survivor stored them all (the
    group notices the death after the session timeout, 15 s, in both cases)."""
    console.print(f"failover: {open_dossiers:,} open dossiers, {standby_replicas} standby")
    env = {
        "CITYOPS_STREAMS__STORE": "rocksdb://",
        "CITYOPS_STREAMS__STANDBY_REPLICAS": str(standby_replicas),
    }
    with private_settings("fo") as settings:
        dossiers = Dossiers(settings, open_dossiers)
        workers = [
            start_worker(
                settings,
                LOGS / f"failover-{name}.log",
                CITYOPS_STATE_DIR=str(settings.state_dir / name),
                **env,
            )
            for name in ("a", "b")
        ]
        try:
            dossiers.wait_stored(open_dossiers)
            time.sleep(SETTLE_SECONDS)  # the standby copies read the last changelog records
            load = Load.now()
            killed_at = time.monotonic()
            workers[1].kill()
            dossiers.add_after()
            try:
                dossiers.wait_stored(open_dossiers + AFTER, every=0.5, timeout=FAILOVER_LIMIT)
                seconds = time.monotonic() - killed_at
            except TimeoutError:  # reported, so the other figures of the run are not lost
                seconds = float("inf")
        finally:
            for worker in workers:
                stop(worker)
            dossiers.close()
    load.done()
    console.print(f"  {standby_replicas} standby: {seconds:.1f} s, {load}")
    return {"failover_s": seconds, "load": load}


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def state_rows(
    table: Table, open_dossiers: int, stores: list[str], restart: bool, failover_dossiers: int
) -> None:
    """Each store on the same dossiers, the first one (memory://) as the baseline; then the
    failover with and without a standby."""
    runs = {store: memory(open_dossiers, store, restart) for store in stores}
    base = runs[stores[0]]
    for name, run in runs.items():
        table.add_row(
            f"worker RSS, {open_dossiers:,} open dossiers, {name}",
            f"{run['rss_mib']:,.0f} MiB",
            f"{run['rss_mib'] / base['rss_mib']:.2f}x {stores[0]}; peak {run['peak_mib']:,.0f}"
            f" MiB, idle worker {run['baseline_mib']:,.0f} MiB (goal < 1,024 MiB); {run['load']}",
        )
        table.add_row(f"open-dossier load rate, {name}", f"{run['rate']:,.0f} ev/s", "")
        if restart:
            table.add_row(
                f"SIGKILL -> restarted worker caught up, {name}",
                f"{run['restart_s']:.1f} s",
                f"{run['restart_s'] / base['restart_s']:.2f}x {stores[0]}; {run['restart_load']}",
            )
    if failover_dossiers:
        without = failover(failover_dossiers, 0)
        warm = failover(failover_dossiers, 1)
        for label, run in (("no standby", without), ("1 standby", warm)):
            table.add_row(
                f"SIGKILL -> survivor caught up, 2 workers, {failover_dossiers:,} open "
                f"dossiers, rocksdb://, {label}",
                f"{run['failover_s']:.1f} s",
                f"{run['failover_s'] / without['failover_s']:.2f}x no standby; {run['load']}",
            )

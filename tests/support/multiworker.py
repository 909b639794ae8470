"""Several workers on the real broker: events published at a steady pace in the background,
what exact means at the end (figures and alerts), and how long a rebalance leaves a
partition unprocessed."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cityops.db.reconcile import reconcile
from cityops.db.reconcile_alerts import reconcile_alerts
from cityops.db.tables import DOSSIER_EVENTS
from cityops.settings import Settings
from connectors.sdk.publisher import Publisher
from tests.support.feeding import missing, settled
from tests.support.pipeline import Worker, wait_until


class Feed(threading.Thread):
    """Publishes `events` evenly over `seconds`, in slices, while the test does its faults."""

    def __init__(
        self, settings: Settings, events: Sequence[Any], seconds: float, slices: int = 120
    ) -> None:
        super().__init__(daemon=True)
        self.settings, self.events, self.seconds, self.slices = settings, events, seconds, slices
        self.error: BaseException | None = None

    def run(self) -> None:
        publisher = Publisher(self.settings.kafka, source="multiworker-feed")
        try:
            size = -(-len(self.events) // self.slices)
            started = time.monotonic()
            for n in range(self.slices):
                for event in self.events[n * size : (n + 1) * size]:
                    publisher.publish(event)
                publisher.flush(60)
                pause = started + (n + 1) * self.seconds / self.slices - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        except BaseException as exc:  # reported by finish(), in the test's thread
            self.error = exc
        finally:
            publisher.close()

    def finish(self, timeout: float = 300) -> None:
        self.join(timeout)
        assert not self.is_alive(), "the feed did not finish"
        assert self.error is None, f"the feed failed: {self.error!r}"


def assert_exact(ch: Any, database: str, events: Sequence[Any], workers: Sequence[Worker]) -> None:
    """Every event in, every figure equal to the batch recomputation, every deadline alert
    firing exactly when the raw events say it must, and the given workers still running."""
    wait_until(
        lambda: settled(ch, database, events),
        timeout=300,
        every=1,
        describe=lambda: (
            missing(ch, database, events)
            + "".join(
                f"\n--- {worker.log_path.name} (last lines) ---\n{worker.log_tail(40)}"
                for worker in workers
            )
        ),
    )
    assert reconcile(ch, database) == []
    wait_until(
        lambda: not reconcile_alerts(ch, database),
        timeout=90,
        every=1,
        describe=lambda: f"alert differences: {reconcile_alerts(ch, database)[:5]}",
    )
    for worker in workers:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()


def processed_partitions_since(ch: Any, database: str, since: datetime) -> set[int]:
    """Dossier topic partitions with a record written to ClickHouse at or after `since`."""
    rows = ch.execute(
        f"SELECT DISTINCT kafka_partition FROM {database}.{DOSSIER_EVENTS.name} "
        "WHERE ingested_at >= %(since)s",
        {"since": since.replace(tzinfo=None, microsecond=0)},
    )
    return {partition for (partition,) in rows}


class RebalanceWatch:
    """How long a worker's departure leaves its partitions unprocessed: from the watch's
    creation (right after the SIGKILL or stop) until every partition of the dossier topic has
    a row written again. Events arrive throughout, so a partition without new rows is one
    nobody owns. Rows count from the whole second after the departure (ClickHouse DateTime),
    so the departed worker's last rows do not."""

    def __init__(self, ch: Any, database: str, partitions: int) -> None:
        self.ch, self.database, self.partitions = ch, database, partitions
        self.since = time.monotonic()
        self.cutoff = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
        self.seconds: float | None = None

    def wait(self, until: float | None = None, timeout: float = 180) -> float | None:
        """Poll until every partition is processed again, or until `until` (monotonic)."""
        end = until if until is not None else time.monotonic() + timeout
        while self.seconds is None and time.monotonic() < end:
            if (
                len(processed_partitions_since(self.ch, self.database, self.cutoff))
                == self.partitions
            ):
                self.seconds = time.monotonic() - self.since
            else:
                time.sleep(0.5)
        if until is None:
            assert self.seconds is not None, "partitions not processed again within the timeout"
        return self.seconds


def shown(seconds: float | None) -> str:
    return "not within the scenario" if seconds is None else f"{seconds:.1f} s"

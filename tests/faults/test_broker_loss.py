"""A broker SIGKILLed under load (`make test-faults`): on a 3-broker cluster with production's
durability (replication factor 3, min ISR 2) and a standby per table partition, a connector's
publisher and two workers carry on through the loss and the broker's return without a restart;
nothing is lost or counted twice, and the time without progress is printed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from cityops.contract import DOSSIER, Envelope
from cityops.db.client import make_client
from cityops.db.reconcile import reconcile
from cityops.kafka import make_admin
from cityops.settings import Settings
from connectors.sdk.publisher import Publisher
from connectors.simulator import generate
from tests.support.feeding import missing, settled
from tests.support.kafka_cluster import KafkaCluster
from tests.support.pipeline import wait_until

DAY = date(2026, 3, 4)
#: What the workers are told, beyond the addresses: the production defaults of cityops.settings.
DURABLE = {
    "CITYOPS_KAFKA__REPLICATION_FACTOR": "3",
    "CITYOPS_KAFKA__MIN_INSYNC_REPLICAS": "2",
    "CITYOPS_STREAMS__STANDBY_REPLICAS": "1",
}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(3, tmp_path / "kafka-cluster").start()
    yield cluster
    cluster.stop()


@pytest.fixture
def settings(settings: Settings, cluster: KafkaCluster) -> Settings:
    """The test's namespace and database, on the cluster with three copies of every topic."""
    kafka = settings.kafka.model_copy(
        update={
            "bootstrap_servers": cluster.bootstrap_servers,
            "replication_factor": 3,
            "min_insync_replicas": 2,
        }
    )
    return settings.model_copy(update={"kafka": kafka})


@dataclass(eq=False)  # a Thread must stay hashable
class PacedFeed(threading.Thread):
    """One connector publisher, never restarted, sending a chunk of events every `every`
    seconds and flushing it (a flush waits for `acks=all`): its longest flush is the time the
    producer made no progress."""

    settings: Settings
    events: Sequence[Envelope]
    chunks: int
    every: float
    longest_flush: float = 0.0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        publisher = Publisher(self.settings.kafka, source="sim")
        size = -(-len(self.events) // self.chunks)
        try:
            for start in range(0, len(self.events), size):
                for event in self.events[start : start + size]:
                    publisher.publish(event)
                began = time.monotonic()
                publisher.flush(180)
                self.longest_flush = max(self.longest_flush, time.monotonic() - began)
                time.sleep(self.every)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc
        finally:
            publisher.close()
            self.done.set()


@dataclass(eq=False)
class ProgressWatch(threading.Thread):
    """Samples the rows stored in ClickHouse; the longest stretch without a new row after
    `since` is the pipeline's time without progress."""

    settings: Settings
    since: float = 0.0
    longest_stall: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        client = make_client(self.settings.clickhouse)
        database = self.settings.clickhouse.database
        last_count, last_change = -1, time.monotonic()
        try:
            while not self.stop.is_set():
                count = client.execute(
                    f"SELECT (SELECT count() FROM {database}.dossier_events)"
                    f" + (SELECT count() FROM {database}.portal_events)"
                )[0][0]
                now = time.monotonic()
                if count != last_count:
                    if self.since and last_change >= self.since - 1:
                        self.longest_stall = max(self.longest_stall, now - last_change)
                    last_count, last_change = count, now
                time.sleep(0.25)
        finally:
            client.disconnect()


def leader_of_dossier_partition_0(settings: Settings) -> int:
    admin = make_admin(settings.kafka)
    try:
        (topic,) = admin.describe_topics([DOSSIER.name(settings.kafka.namespace)])
    finally:
        admin.close()
    return next(p["leader_id"] for p in topic["partitions"] if p["partition_index"] == 0)


def test_broker_sigkilled_under_load(  # type: ignore[no-untyped-def]
    pipeline_settings, cluster, start_worker, ch, capsys
) -> None:
    events = generate(day=DAY, hours=24, scale=0.3, seed=31, duplicates=0.02)
    database = pipeline_settings.clickhouse.database
    workers = [start_worker(**DURABLE), start_worker(**DURABLE)]
    feed = PacedFeed(pipeline_settings, events, chunks=80, every=0.5)
    watch = ProgressWatch(pipeline_settings)
    feed.start()
    watch.start()
    try:
        wait_until(
            lambda: (
                watch.is_alive()
                and ch.execute(f"SELECT count() FROM {database}.dossier_events")[0][0] > 0
            ),
            timeout=180,
        )
        victim = leader_of_dossier_partition_0(pipeline_settings)
        watch.since = killed_at = time.monotonic()
        cluster.kill(victim)
        time.sleep(20)
        cluster.restart(victim)
        back_at = time.monotonic()
        assert feed.done.wait(300), "the publisher did not finish"
        assert feed.error is None, f"the publisher failed: {feed.error!r}"
        wait_until(
            lambda: settled(ch, database, events),
            timeout=300,
            every=1,
            describe=lambda: missing(ch, database, events),
        )
        settled_at = time.monotonic()
    finally:
        watch.stop.set()
        watch.join(10)
    for worker in workers:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
    assert reconcile(ch, database) == []
    with capsys.disabled():
        print(
            f"\nbroker {victim} SIGKILLed under load, healthy again "
            f"{back_at - killed_at:.0f} s later: longest publisher flush "
            f"{feed.longest_flush:.1f} s, longest time without a new row in ClickHouse "
            f"{watch.longest_stall:.1f} s, settled {settled_at - killed_at:.0f} s after the kill"
        )

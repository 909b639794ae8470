"""Heavy fault scenarios (`make test-faults`): workers SIGKILLed mid-stream, ClickHouse gone
for 30 s. Nothing lost, nothing counted twice: the read API still reconciles exactly."""

from __future__ import annotations

import time
from datetime import date

from connectors.simulator import generate
from tests.support.feeding import missing, publish, settled, stored_counts
from tests.support.multiworker import assert_exact
from tests.support.pipeline import wait_until
from tests.support.tcpproxy import TcpProxy

DAY = date(2026, 3, 4)


def test_sigkill_three_times_mid_stream(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    events = generate(day=DAY, hours=24, scale=0.3, seed=21, duplicates=0.05, shuffle_window=30)
    database = pipeline_settings.clickhouse.database
    chunk = len(events) // 4
    for round_ in range(3):
        publish(pipeline_settings, events[round_ * chunk : (round_ + 1) * chunk])
        worker = start_worker()
        before = stored_counts(ch, database)["portal_events"]
        wait_until(lambda b=before: stored_counts(ch, database)["portal_events"] > b, timeout=120)
        worker.kill()
    publish(pipeline_settings, events[3 * chunk :] + events[:chunk])  # the rest and a replay
    assert_exact(ch, database, events, [start_worker()])


def test_returning_worker_replays_what_it_missed(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    """A worker SIGKILLed, another changing the same dossiers meanwhile, then the first back
    on its own state folder: its RocksDB tables are stale. Its dossier state rows must
    include the events only the other one saw (the changelog replayed from the offset its
    copy stored), else `settled` waits for state versions that never come."""
    events = generate(day=DAY, hours=24, scale=0.2, seed=23)
    database = pipeline_settings.clickhouse.database
    rocksdb = {"CITYOPS_STREAMS__STORE": "rocksdb://"}
    # Round robin: a dossier's events land in every third, so each owner changes it.
    thirds = [events[n::3] for n in range(3)]

    def wait_settled(published: list) -> None:  # type: ignore[type-arg]
        wait_until(
            lambda: settled(ch, database, published),
            timeout=180,
            every=1,
            describe=lambda: missing(ch, database, published),
        )

    publish(pipeline_settings, thirds[0])
    first = start_worker(state="a", **rocksdb)
    wait_settled(thirds[0])
    first.kill()
    publish(pipeline_settings, thirds[1])
    other = start_worker(state="b", **rocksdb)
    wait_settled(thirds[0] + thirds[1])
    assert other.stop() == 0, other.log_tail()
    publish(pipeline_settings, thirds[2])
    assert_exact(ch, database, events, [start_worker(state="a", **rocksdb)])


def test_clickhouse_down_for_30_seconds(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    events = generate(day=DAY, hours=24, scale=0.2, seed=22)
    database = pipeline_settings.clickhouse.database
    proxy = TcpProxy(pipeline_settings.clickhouse.port)
    try:
        half = len(events) // 2
        publish(pipeline_settings, events[:half])
        worker = start_worker(CITYOPS_CLICKHOUSE__PORT=str(proxy.port))
        wait_until(lambda: stored_counts(ch, database)["portal_events"] > 0, timeout=120)
        proxy.cut()
        publish(pipeline_settings, events[half:])
        time.sleep(30)
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        proxy.restore()
        assert_exact(ch, database, events, [worker])
    finally:
        proxy.close()

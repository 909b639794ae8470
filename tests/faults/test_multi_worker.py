"""Several workers sharing the partitions while events arrive (`make test-faults`): joins,
SIGKILLs, returns and graceful stops. At the end every read-API figure equals the batch
recomputation and the firing deadline alerts are exactly the ones the raw events call for,
first with every worker alive, then with only one left (issue 7, issue 10).

A SIGKILLed worker comes back on the state folder it left. Two runs are on RocksDB (the
default store outside tests, issue 12): the returning worker finds tables that went stale
while the others owned its partitions, and figures stay exact only if it replays each
changelog from the offset its copy stored. The last adds one standby replica, production's
default."""

from __future__ import annotations

import signal
import time
from datetime import date

import pytest

from cityops.contract import DOSSIER
from connectors.simulator import generate
from tests.support.feeding import publish
from tests.support.multiworker import Feed, RebalanceWatch, assert_exact, shown

DAY = date(2026, 3, 5)
#: The default store outside tests (the tests' own is memory://).
ROCKSDB = {"CITYOPS_STREAMS__STORE": "rocksdb://"}
#: Issue 7's scenario: on the memory store, on RocksDB, and on RocksDB with one standby.
RUNS = [
    ({}, 1),
    (ROCKSDB, 2),
    (ROCKSDB, 3),
    ({**ROCKSDB, "CITYOPS_STREAMS__STANDBY_REPLICAS": "1"}, 4),
]


def _at(start: float, second: float) -> None:
    """Sleep until `second` seconds after `start` (monotonic)."""
    time.sleep(max(0.0, start + second - time.monotonic()))


@pytest.mark.parametrize(
    ("env", "run"), RUNS, ids=["memory", "rocksdb-2", "rocksdb-3", "rocksdb-standby"]
)
def test_two_workers_join_crash_and_return(pipeline_settings, start_worker, ch, env, run) -> None:  # type: ignore[no-untyped-def]
    """Issue 7's scenario, four times in a row: 3,000 dossiers, 5% duplicates, shuffled,
    published over two minutes; A starts, B joins after 30 s, A is SIGKILLed 30 s later and
    comes back (on its state folder) 20 s after that."""
    events = generate(
        day=DAY, hours=24, scale=1.65, seed=70 + run, duplicates=0.05, shuffle_window=200
    )
    database = pipeline_settings.clickhouse.database
    partitions = DOSSIER.partition_count(pipeline_settings.kafka.partitions)
    feed = Feed(pipeline_settings, events, seconds=120)
    start = time.monotonic()
    feed.start()
    a = start_worker(state="a", **env)
    _at(start, 30)
    b = start_worker(state="b", **env)
    _at(start, 60)
    a.kill()
    watch = RebalanceWatch(ch, database, partitions)
    watch.wait(until=start + 80)
    a = start_worker(state="a", **env)  # on the tables it left 20 s ago
    seconds = watch.wait()
    print(f"\n[run {run} {env}] SIGKILL -> every partition processed again: {seconds:.1f} s")
    feed.finish()
    assert_exact(ch, database, events, [a, b])

    # One left: B stops gracefully, A takes every partition; a replay changes nothing.
    assert b.stop(signal.SIGTERM) == 0, b.log_tail()
    publish(pipeline_settings, events[: len(events) // 5])
    assert_exact(ch, database, events, [a])


def test_three_workers_join_stop_and_crash(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    """Three workers, one stopped gracefully and one SIGKILLed (back only once its partitions
    are processed again, so the pause of each kind of departure is measured alone)."""
    events = generate(day=DAY, hours=24, scale=1.0, seed=80, duplicates=0.05, shuffle_window=200)
    database = pipeline_settings.clickhouse.database
    partitions = DOSSIER.partition_count(pipeline_settings.kafka.partitions)
    feed = Feed(pipeline_settings, events, seconds=110)
    start = time.monotonic()
    feed.start()
    first = start_worker(state="first")
    _at(start, 10)
    second = start_worker(state="second")
    _at(start, 20)
    third = start_worker(state="third")
    _at(start, 35)
    assert second.stop(signal.SIGTERM) == 0, second.log_tail()  # a graceful stop mid-stream
    stopped = RebalanceWatch(ch, database, partitions).wait(until=start + 60)
    _at(start, 60)
    third.kill()
    killed = RebalanceWatch(ch, database, partitions).wait(until=start + 105)
    print(
        "\n[three workers] every dossier partition processed again after a graceful stop: "
        f"{shown(stopped)}, after a SIGKILL: {shown(killed)}"
    )
    third = start_worker(state="third")  # on the tables it left
    feed.finish()
    assert_exact(ch, database, events, [first, third])

    third.kill()
    publish(pipeline_settings, events[-len(events) // 5 :])  # a replay with one worker left
    assert_exact(ch, database, events, [first])

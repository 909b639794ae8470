"""A ClickHouse replica SIGKILLed under load (`make test-faults`, two replicas + ZooKeeper):
writes go on to the other replica, the wall's queries keep answering there, and once the
killed replica is back both hold every event exactly once (the read API reconciles)."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from cityops.db.reconcile import reconcile
from cityops.settings import Settings
from connectors.simulator import generate
from tests.support.feeding import missing, publish, settled, stored_counts
from tests.support.pipeline import Worker, wait_until
from tests.support.replicas import CLICKHOUSE_SH, replica_client
from tests.support.wall import WallPoller, wall_queries

DAY = date(2026, 3, 4)


def test_replica_killed_under_load(cluster: Settings, tmp_path: Path) -> None:
    events = generate(day=DAY, hours=24, scale=0.2, seed=23, duplicates=0.05)
    database = cluster.clickhouse.database
    first, second = replica_client(cluster, 1), replica_client(cluster, 2)
    wall_reader = replica_client(cluster, 2)  # a connection of its own: the poller runs alongside
    third = len(events) // 3
    publish(cluster, events[:third])
    # The worker is given both replicas, the first one first: it writes to replica 1.
    worker = Worker(
        cluster,
        tmp_path / "worker.log",
        {"CITYOPS_CLICKHOUSE__HOST": ",".join(f"{h}:{p}" for h, p in cluster.clickhouse.hosts)},
    ).start()
    try:
        wait_until(lambda: stored_counts(second, database)["portal_events"] > 0, timeout=120)
        feeder = threading.Thread(target=publish, args=(cluster, events[third:]))
        feeder.start()  # events keep arriving while the replica dies
        with WallPoller(wall_reader, wall_queries(wall_reader, datetime.now(UTC))) as wall_poller:
            subprocess.run([str(CLICKHOUSE_SH), "kill-replica", "1"], check=True)
            killed_at = time.monotonic()
            before = stored_counts(second, database)
            wait_until(
                lambda: stored_counts(second, database)["portal_events"] > before["portal_events"],
                timeout=120,
                describe=worker.log_tail,
            )
            first_write = time.monotonic() - killed_at
            feeder.join(120)
            # The wall keeps being read while the worker writes the rest to the survivor.
            time.sleep(10)
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        assert wall_poller.rounds > 0 and not wall_poller.failures, wall_poller.failures[:5]
        subprocess.run([str(CLICKHOUSE_SH), "start"], check=True, capture_output=True)
        restarted_at = time.monotonic()
        first.disconnect()
        for replica in (second, first):
            wait_until(
                lambda r=replica: settled(r, database, events),
                timeout=300,
                every=1,
                describe=lambda r=replica: missing(r, database, events),
            )
        caught_up = time.monotonic() - restarted_at
        assert reconcile(second, database) == []
        assert reconcile(first, database) == []
        print(
            f"\nreplica killed: first write on the survivor after {first_write:.1f} s; "
            f"wall queries answered {wall_poller.rounds} rounds x {len(wall_poller.queries)}; "
            f"killed replica settled {caught_up:.1f} s after its restart"
        )
    finally:
        worker.stop()
        for client in (first, second, wall_reader):
            client.disconnect()

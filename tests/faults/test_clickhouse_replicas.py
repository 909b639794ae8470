"""A ClickHouse replica SIGKILLed under load (`make test-faults`, two replicas + ZooKeeper):
writes go on to the other replica, the wall's queries keep answering there, and once the
killed replica is back both hold every event exactly once (the read API reconciles)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cityops import localstack
from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.db.reconcile import reconcile
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from connectors.simulator import generate
from dashboards.boards import wall
from dashboards.macros import ALL, QueryContext, expand
from dashboards.proof import dashboard_queries, variable_queries
from streams.topics import init_topics
from tests.support.feeding import missing, publish, settled, stored_counts
from tests.support.pipeline import Worker, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
CLICKHOUSE_SH = REPO_ROOT / "deploy" / "local" / "clickhouse.sh"
DAY = date(2026, 3, 4)
REPLICAS = 2


@pytest.fixture
def cluster(settings: Settings) -> Iterator[Settings]:
    """The test's database created on both replicas (replicated tables, ON CLUSTER)."""
    if localstack.clickhouse_replicas(REPO_ROOT / ".stack") < REPLICAS:
        pytest.fail("the stack runs one ClickHouse: `make test-faults` starts two replicas")
    clickhouse = localstack.clickhouse_cluster_settings(
        REPLICAS, database=settings.clickhouse.database
    )
    replicated = settings.model_copy(update={"clickhouse": clickhouse})
    client = make_client(clickhouse, migrator=True)
    migrate(client, clickhouse.database, cluster=clickhouse.cluster)
    load_reference(
        client,
        clickhouse.database,
        read_reference(replicated.reference_dir),
        cluster=clickhouse.cluster,
    )
    init_topics(replicated)  # what `cityops kafka init` does
    yield replicated
    subprocess.run([str(CLICKHOUSE_SH), "start"], check=False, capture_output=True)
    client.execute(f"DROP DATABASE IF EXISTS {clickhouse.database} ON CLUSTER {clickhouse.cluster}")
    client.disconnect()


def _replica(settings: Settings, replica: int, **fields: Any) -> Any:
    """A client of one replica only (no failover): what that replica itself holds. The
    writer account: the local reader account is confined to the configured database."""
    port = localstack.clickhouse_replica_port(replica)
    only = settings.clickhouse.model_copy(update={"host": f"127.0.0.1:{port}", **fields})
    return make_client(only, database=True)


def _wall_queries(client: Any, now: datetime) -> list[tuple[str, str]]:
    """The wall's panel and variable queries as Grafana sends them ($__ macros expanded,
    every variable at "All", its options listed by its own query)."""
    board = wall.build()
    window = {
        "time_from": now - timedelta(days=7),
        "time_to": now + timedelta(minutes=1),
        "interval_s": 300,
    }
    variables = list(variable_queries(board))
    options = {
        name: [str(r[0]) for r in client.execute(expand(q.sql, QueryContext(**window)))]
        for name, q in variables
    }
    ctx = QueryContext(**window, variables={n: [ALL] for n in options}, options=options)
    queries = [q for _, q in variables] + list(dashboard_queries(board))
    return [(q.origin, expand(q.sql, ctx)) for q in queries]


class WallPoller:
    """Runs every wall query on one replica in a loop; any failure is kept, not raised."""

    def __init__(self, client: Any, queries: list[tuple[str, str]]) -> None:
        self.client, self.queries = client, queries
        self.rounds = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for origin, sql in self.queries:
                try:
                    self.client.execute(sql)
                except Exception as error:  # recorded: the assertion names the query
                    self.failures.append(f"{origin}: {str(error).splitlines()[0]}")
            self.rounds += 1

    def __enter__(self) -> WallPoller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)


def test_replica_killed_under_load(cluster: Settings, tmp_path: Path) -> None:
    events = generate(day=DAY, hours=24, scale=0.2, seed=23, duplicates=0.05)
    database = cluster.clickhouse.database
    first, second = _replica(cluster, 1), _replica(cluster, 2)
    wall_reader = _replica(cluster, 2)  # a connection of its own: the poller runs alongside
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
        with WallPoller(wall_reader, _wall_queries(wall_reader, datetime.now(UTC))) as wall_poller:
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

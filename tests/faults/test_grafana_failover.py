"""The wall's way to the replicas (`make test-faults`): HAProxy run with the config
`cityops dashboards render` writes (dashboards/clickhouse_proxy.py), in front of the local
stack's two replicas; the replica it prefers SIGKILLed while every wall query runs through
the proxy as Grafana's plugin sends it (one address, macros expanded): they keep answering,
from the other replica, and the proxy goes back to the first once it is current again.

No Grafana server runs here: the client is clickhouse-driver given the proxy's one address,
retrying a query once on a new connection when its connection broke, as the plugin's Go
database/sql pool does (tests/support/wall.py, BROKEN_CONNECTION)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cityops import localstack
from cityops.db.client import make_client
from cityops.settings import Settings
from connectors.simulator import generate
from dashboards.clickhouse_proxy import Replica, haproxy_config
from tests.support.feeding import missing, publish, settled
from tests.support.pipeline import Worker, wait_until
from tests.support.replicas import CLICKHOUSE_SH, replica_client
from tests.support.wall import WallPoller, wall_queries

DAY = date(2026, 3, 4)
#: The replicas in the order the settings list them: the proxy prefers the first, which the
#: test kills. Replica 2 first: replica 1 is the stack's single-server port, which other
#: tests and benchmarks of this checkout may be using meanwhile.
ORDER = (2, 1)
MACRO = {1: "r1", 2: "r2"}  # each replica's `replica` macro (deploy/local/clickhouse.sh)
WHICH_REPLICA = "SELECT substitution FROM system.macros WHERE macro = 'replica'"


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[int]:
    """HAProxy with the rendered config over the local replicas; yields its port."""
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy is not installed: `make test-faults` installs it (apt)")
    replicas = [
        Replica(
            "127.0.0.1",
            localstack.clickhouse_replica_port(i),
            localstack.clickhouse_replica_http_port(i),
        )
        for i in ORDER
    ]
    port = localstack.clickhouse_proxy_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(replicas, bind=f"127.0.0.1:{port}"), encoding="utf-8")
    check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    log = tmp_path / "haproxy.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [haproxy, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(30)
        print(f"\nhaproxy log:\n{log.read_text()[-3000:]}")


def _through(cluster: Settings, port: int) -> Any:
    """A client given only the proxy's address, as the datasource is. The writer account:
    the local reader account is confined to the configured database. Its default database
    is the reader's, as the datasource's is."""
    only = cluster.clickhouse.model_copy(update={"host": f"127.0.0.1:{port}"})
    return make_client(only.model_copy(update={"database": only.api_database}), database=True)


def _answering_replica(client: Any) -> str:
    """Which replica a new connection through the proxy lands on ("" if none answers)."""
    try:
        return str(client.execute(WHICH_REPLICA)[0][0])
    except Exception:  # no replica reachable yet: the caller asks again
        return ""
    finally:
        client.disconnect()


def test_wall_fails_over_through_the_proxy(cluster: Settings, proxy: int, tmp_path: Path) -> None:
    events = generate(day=DAY, hours=24, scale=0.05, seed=29)
    database = cluster.clickhouse.database
    publish(cluster, events)
    hosts = ",".join(f"127.0.0.1:{localstack.clickhouse_replica_port(i)}" for i in ORDER)
    worker = Worker(cluster, tmp_path / "worker.log", {"CITYOPS_CLICKHOUSE__HOST": hosts}).start()
    preferred, survivor = ORDER
    probe = _through(cluster, proxy)
    wall_reader = _through(cluster, proxy)
    try:
        for replica in ORDER:
            client = replica_client(cluster, replica)
            wait_until(
                lambda c=client: settled(c, database, events),
                timeout=300,
                every=1,
                describe=lambda c=client: missing(c, database, events),
            )
            client.disconnect()
        wait_until(lambda: _answering_replica(probe) == MACRO[preferred], timeout=30)
        queries = wall_queries(wall_reader, datetime.now(UTC))
        with WallPoller(wall_reader, queries, retry_broken=True) as wall_poller:
            time.sleep(3)
            rounds_before = wall_poller.rounds
            subprocess.run([str(CLICKHOUSE_SH), "kill-replica", str(preferred)], check=True)
            killed_at = time.monotonic()
            wait_until(lambda: _answering_replica(probe) == MACRO[survivor], timeout=30)
            moved = time.monotonic() - killed_at
            time.sleep(10)  # the wall keeps refreshing on the survivor
            rounds_down = wall_poller.rounds - rounds_before
            subprocess.run([str(CLICKHOUSE_SH), "start"], check=True, capture_output=True)
            restarted_at = time.monotonic()
            wait_until(lambda: _answering_replica(probe) == MACRO[preferred], timeout=120)
            back = time.monotonic() - restarted_at
            time.sleep(3)
        assert not wall_poller.failures, wall_poller.failures[:5]
        assert rounds_down >= 2, f"only {rounds_down} rounds of the wall with a replica down"
        print(
            f"\nthrough the proxy: {len(queries)} wall queries x {wall_poller.rounds} rounds, "
            f"{rounds_down} with replica {preferred} down, none failed; {wall_poller.retried} "
            f"retried on a new connection; longest wait for an answer "
            f"{wall_poller.longest_gap:.1f} s; new connections on replica {survivor} "
            f"{moved:.1f} s after the kill; back on replica {preferred} {back:.1f} s after "
            "its restart had passed its health check"
        )
    finally:
        worker.stop()
        for client in (probe, wall_reader):
            client.disconnect()

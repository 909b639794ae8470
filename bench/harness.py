"""What the pipeline benchmarks share: a private namespace and database, a worker process,
waiting for rows, and reading a process's memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cityops import localstack
from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.kafka import delete_topics, make_admin
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from streams.topics import init_topics


@contextmanager
def private_settings(label: str) -> Iterator[Settings]:
    """A namespace of topics and a database used by this run only, dropped afterwards."""
    namespace = f"bench{label}{uuid.uuid4().hex[:6]}"
    settings = Settings(
        kafka=localstack.kafka_settings(namespace=namespace),
        clickhouse=localstack.clickhouse_settings(database=f"cityops_{namespace}"),
        state_dir=Path(".stack/bench") / namespace,
    )
    client = make_client(settings.clickhouse, migrator=True)
    migrate(client, settings.clickhouse.database)
    load_reference(client, settings.clickhouse.database, read_reference(settings.reference_dir))
    init_topics(settings)  # what `cityops kafka init` does
    try:
        yield settings
    finally:
        for database in (settings.clickhouse.database, settings.clickhouse.api_database):
            client.execute(f"DROP DATABASE IF EXISTS {database}")
        client.disconnect()
        admin = make_admin(settings.kafka)
        mine = [t for t in admin.list_topics() if t.startswith(namespace)]
        admin.close()
        delete_topics(settings.kafka, mine)


def start_worker(settings: Settings, log: Path, **env: str) -> subprocess.Popen[bytes]:
    variables = dict(os.environ)
    variables.update(
        {
            "CITYOPS_KAFKA__NAMESPACE": settings.kafka.namespace,
            # This checkout's stack (cityops.localstack), not whatever listens on the defaults.
            "CITYOPS_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "CITYOPS_CLICKHOUSE__PORT": str(settings.clickhouse.port),
            "CITYOPS_CLICKHOUSE__DATABASE": settings.clickhouse.database,
            "CITYOPS_STATE_DIR": str(settings.state_dir),
            "CITYOPS_LOG_LEVEL": "WARNING",
        }
    )
    variables.update(env)
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "cityops.cli.main", "worker", "--web-port", str(free_port())],
        env=variables,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_for(check: Callable[[], Any], timeout: float, every: float = 0.2) -> float:
    """Seconds until `check()` is truthy; raises on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    raise TimeoutError(f"not done within {timeout}s")


def settle(client: Any, timeout: float = 600) -> float:
    """Seconds until ClickHouse runs no merge. A phase's inserts leave background merges
    (its raw tables, the aggregates its rows feed) that run for seconds after it ends; the
    next phase measured on the same 2 cores would pay for them, so a round's second phase
    was slower than its first for no reason of its own."""
    return wait_for(
        lambda: int(client.execute("SELECT count() FROM system.merges")[0][0]) == 0,
        timeout,
        every=0.5,
    )


def count(client: Any, database: str, table: str, column: str = "event_id") -> int:
    return int(client.execute(f"SELECT uniqExact({column}) FROM {database}.{table}")[0][0])

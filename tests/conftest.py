"""Fixtures shared by every test tier.

The integration tier starts the local stack once per session (deploy/local/stack.sh up, a
no-op when it runs) and gives each test a fresh topic namespace and ClickHouse database, so
tests start clean and do not depend on each other's order.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cityops import localstack
from cityops.settings import Settings

pytest_plugins = ["tests.support.pipeline"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.fspath)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/faults/" in path:
            item.add_marker(pytest.mark.faults)
        if "/fuzz/" in path:
            item.add_marker(pytest.mark.fuzz)


@pytest.fixture(scope="session")
def stack() -> None:
    """The real Kafka and ClickHouse, started by the project's own scripts."""
    log = REPO_ROOT / ".stack" / "pytest-stack-up.log"
    log.parent.mkdir(exist_ok=True)
    # Output to a file, not a pipe: servers started in the background must not hold a pipe
    # of this process open.
    with log.open("w") as out:
        result = subprocess.run(
            [str(REPO_ROOT / "deploy/local/stack.sh"), "up"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
    if result.returncode != 0:
        pytest.fail(f"stack did not start:\n{log.read_text()}")
    # Commands the tests run (CliRunner or child processes) read their servers from the
    # environment: point them at this checkout's stack too, not at the default ports.
    os.environ.setdefault(
        "CITYOPS_KAFKA__BOOTSTRAP_SERVERS", localstack.kafka_settings().bootstrap_servers
    )
    os.environ.setdefault("CITYOPS_CLICKHOUSE__PORT", str(localstack.clickhouse_port()))


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(stack: None, namespace: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at a namespace of topics and a database nobody else uses."""
    from cityops.kafka import delete_topics, make_admin

    kafka = localstack.kafka_settings(namespace=namespace, client_id=f"test-{namespace}")
    clickhouse = localstack.clickhouse_settings(database=f"cityops_{namespace}")
    yield Settings(kafka=kafka, clickhouse=clickhouse, state_dir=tmp_path / "state")
    admin = make_admin(kafka)
    try:
        mine = [t for t in admin.list_topics() if t.startswith(namespace)]
    finally:
        admin.close()
    delete_topics(kafka, mine)
    try:
        from cityops.db.client import make_client

        client = make_client(clickhouse, migrator=True)
        for database in (clickhouse.database, clickhouse.api_database):
            client.execute(f"DROP DATABASE IF EXISTS {database}")
        client.disconnect()
    except Exception:  # the database may never have been created
        pass

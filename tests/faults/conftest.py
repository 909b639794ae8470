"""Fixtures of the fault tests that need the local stack's two ClickHouse replicas."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from cityops import localstack
from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from streams.topics import init_topics
from tests.support.replicas import CLICKHOUSE_SH, REPLICAS, STACK_DIR


@pytest.fixture
def cluster(settings: Settings) -> Iterator[Settings]:
    """The test's database created on both replicas (replicated tables, ON CLUSTER); every
    replica running again afterwards."""
    if localstack.clickhouse_replicas(STACK_DIR) < REPLICAS:
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
    for database in (clickhouse.database, clickhouse.api_database):
        client.execute(f"DROP DATABASE IF EXISTS {database} ON CLUSTER {clickhouse.cluster}")
    client.disconnect()

"""Where the local stack (deploy/local) listens, for tests and benchmarks.

The stack scripts take their ports from `CITYOPS_KAFKA_PORT` and `CITYOPS_CH_TCP_PORT` so
that several checkouts can each run their own stack on one machine; the tests and
benchmarks that talk to "the local stack" must follow the same variables, or a second
checkout's tests would silently use the first checkout's servers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cityops.secretcheck import env_name, read_local_secrets
from cityops.settings import ClickHouseSettings, KafkaSettings, Settings


def kafka_port() -> int:
    return int(os.environ.get("CITYOPS_KAFKA_PORT", "9092"))


def clickhouse_port() -> int:
    return int(os.environ.get("CITYOPS_CH_TCP_PORT", "9000"))


#: The cluster `stack.sh up --clickhouse-replicas N` defines (deploy/local/clickhouse/cluster.xml).
CLICKHOUSE_CLUSTER = "cityops"


def clickhouse_replica_port(replica: int) -> int:
    """Replica `replica`'s native port, by deploy/local/common.sh's scheme: replica 1 is the
    single server's port, replica i the replica base + 10(i-1)."""
    if replica == 1:
        return clickhouse_port()
    return int(os.environ.get("CITYOPS_CH_REPLICA_PORT_BASE", "9100")) + 10 * (replica - 1)


def clickhouse_replica_http_port(replica: int) -> int:
    """Replica `replica`'s HTTP port: the single server's for replica 1, the replica's native
    port + 1 for the others (deploy/local/common.sh)."""
    if replica == 1:
        return int(os.environ.get("CITYOPS_CH_HTTP_PORT", "8123"))
    return clickhouse_replica_port(replica) + 1


def clickhouse_proxy_port() -> int:
    """Where a test's ClickHouse balancer listens: the replica base + 5, a port of the
    replicas' block that no replica takes (replica 1 uses base + 2, replica 2 base + 10)."""
    return int(os.environ.get("CITYOPS_CH_REPLICA_PORT_BASE", "9100")) + 5


def clickhouse_replicas(stack_dir: Path) -> int:
    """How many ClickHouse replicas the stack in `stack_dir` last started (1 by default)."""
    count = stack_dir / "clickhouse-replicas"
    return int(count.read_text()) if count.exists() else 1


def kafka_settings(**fields: Any) -> KafkaSettings:
    """Kafka settings pointing at this checkout's local broker."""
    fields.setdefault("bootstrap_servers", f"127.0.0.1:{kafka_port()}")
    return KafkaSettings(**fields)


def account_passwords(stack_dir: Path | None = None) -> dict[str, Any]:
    """The three accounts' passwords the local server was given: what every cityops process
    reads (environment, config file, `.stack/secrets.env`), or those generated in another
    stack folder (`stack_dir`, a private stack a test started)."""
    if stack_dir is None:
        accounts = Settings().clickhouse
        return {name: getattr(accounts, name) for name in ClickHouseSettings.PASSWORDS}
    generated = read_local_secrets(stack_dir / "secrets.env")
    return {
        name: generated.get(env_name(f"clickhouse.{name}")) for name in ClickHouseSettings.PASSWORDS
    }


def password_env(clickhouse: ClickHouseSettings) -> dict[str, str]:
    """The passwords as environment variables, for a stack started in another folder that
    must give its accounts the same passwords (its own secrets file would hold others)."""
    return {
        env_name(f"clickhouse.{name}"): clickhouse.secret(name)  # type: ignore[arg-type]
        for name in ClickHouseSettings.PASSWORDS
    }


def clickhouse_settings(**fields: Any) -> ClickHouseSettings:
    """ClickHouse settings pointing at this checkout's local server, with its accounts'
    generated passwords."""
    fields.setdefault("port", clickhouse_port())
    for name, value in account_passwords().items():
        fields.setdefault(name, value)
    return ClickHouseSettings(**fields)


def clickhouse_cluster_settings(replicas: int, **fields: Any) -> ClickHouseSettings:
    """ClickHouse settings for this checkout's `replicas` local replicas, as one cluster."""
    fields.setdefault(
        "host", [f"127.0.0.1:{clickhouse_replica_port(i + 1)}" for i in range(replicas)]
    )
    fields.setdefault("cluster", CLICKHOUSE_CLUSTER)
    return clickhouse_settings(**fields)

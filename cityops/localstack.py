"""Where the local stack (deploy/local) listens, for tests and benchmarks.

The stack scripts take their ports from `CITYOPS_KAFKA_PORT` and `CITYOPS_CH_TCP_PORT` so
that several checkouts can each run their own stack on one machine; the tests and
benchmarks that talk to "the local stack" must follow the same variables, or a second
checkout's tests would silently use the first checkout's servers.
"""

from __future__ import annotations

import os
from typing import Any

from cityops.settings import ClickHouseSettings, KafkaSettings


def kafka_port() -> int:
    return int(os.environ.get("CITYOPS_KAFKA_PORT", "9092"))


def clickhouse_port() -> int:
    return int(os.environ.get("CITYOPS_CH_TCP_PORT", "9000"))


def kafka_settings(**fields: Any) -> KafkaSettings:
    """Kafka settings pointing at this checkout's local broker."""
    fields.setdefault("bootstrap_servers", f"127.0.0.1:{kafka_port()}")
    return KafkaSettings(**fields)


def clickhouse_settings(**fields: Any) -> ClickHouseSettings:
    """ClickHouse settings pointing at this checkout's local server."""
    fields.setdefault("port", clickhouse_port())
    return ClickHouseSettings(**fields)

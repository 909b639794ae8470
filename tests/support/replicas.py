"""The local stack's ClickHouse replicas as the fault tests reach them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cityops import localstack
from cityops.db.client import make_client
from cityops.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = REPO_ROOT / ".stack"
CLICKHOUSE_SH = REPO_ROOT / "deploy" / "local" / "clickhouse.sh"
#: How many replicas `make test-faults` starts.
REPLICAS = 2


def replica_client(settings: Settings, replica: int, **fields: Any) -> Any:
    """A client of one replica only (no failover): what that replica itself holds. The
    writer account: the local reader account is confined to the configured database. Its
    default database is the reader's, like Grafana's (the wall's queries are unqualified)."""
    port = localstack.clickhouse_replica_port(replica)
    only = settings.clickhouse.model_copy(update={"host": f"127.0.0.1:{port}", **fields})
    return make_client(only.model_copy(update={"database": only.api_database}), database=True)

"""`dossier_open` stays small: compaction removes closed dossiers, never an open one.

Compaction is `OPTIMIZE` and `ALTER ... DELETE`, DDL on ClickHouse: it runs as the migrator
(`cityops db compact`), and the workers' account is refused it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cityops.db.client import make_client
from cityops.db.migrate import migrate
from cityops.db.tables import DOSSIER_OPEN, V_DOSSIER_OPEN, qualified
from streams.sink.rows import row_from_mapping
from tests.support.pipeline import worker_env

from .conftest import EXPECTED_STATE


def _row(dossier_id: str, version: int, closed: int, updated_at: datetime) -> tuple[Any, ...]:
    base = next(s for s in EXPECTED_STATE if s["dossier_id"] == "D3")
    values = {**base, "dossier_id": dossier_id, "version": version, "closed": closed}
    return row_from_mapping(DOSSIER_OPEN, {**values, "updated_at": updated_at})


def test_compaction_deletes_old_closings_and_keeps_open_and_recent(settings: Any) -> None:
    client = make_client(settings.clickhouse, migrator=True)
    database = settings.clickhouse.database
    try:
        migrate(client, database)
        old = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=2)
        now = datetime.now(UTC).replace(tzinfo=None)
        insert = DOSSIER_OPEN.insert_sql(database)
        # Each in its own part, as the workers' flushes write them.
        for row in (_row("OPEN", 1, 0, old), _row("GONE", 1, 0, old), _row("GONE", 2, 1, old),
                    _row("JUST", 1, 0, now), _row("JUST", 2, 1, now)):  # fmt: skip
            client.execute(insert, [row])
        command = [sys.executable, "-m", "cityops.cli.main", "db", "compact"]
        done = subprocess.run(
            command, env=worker_env(settings), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        table = qualified(DOSSIER_OPEN.name, database)
        deadline = time.monotonic() + 30  # mutations run in the background
        while time.monotonic() < deadline:
            left = client.execute(f"SELECT dossier_id, closed FROM {table} ORDER BY dossier_id")
            if ("GONE", 1) not in left:
                break
            time.sleep(0.5)
        assert left == [("JUST", 1), ("OPEN", 0)]
        view = client.execute(f"SELECT dossier_id FROM {qualified(V_DOSSIER_OPEN, database)}")
        assert view == [("OPEN",)]
    finally:
        client.disconnect()


def test_the_workers_account_may_not_compact(settings: Any) -> None:
    migrator = make_client(settings.clickhouse, migrator=True)
    writer = make_client(settings.clickhouse)
    database = settings.clickhouse.database
    try:
        migrate(migrator, database)
        try:
            writer.execute(f"OPTIMIZE TABLE {qualified(DOSSIER_OPEN.name, database)} FINAL")
        except Exception as error:
            first = str(error).split("\n")[0]
            assert "392" in first or "497" in first  # DDL prohibited / access denied
        else:
            raise AssertionError("the writer ran OPTIMIZE: it holds DDL rights")
    finally:
        migrator.disconnect()
        writer.disconnect()

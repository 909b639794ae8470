"""`dossier_open` stays small: compaction removes closed dossiers, never an open one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cityops.db.client import make_client
from cityops.db.migrate import migrate
from cityops.db.open_dossiers import compact_open
from cityops.db.tables import DOSSIER_OPEN, V_DOSSIER_OPEN
from streams.sink.rows import row_from_mapping

from .conftest import EXPECTED_STATE


def _row(dossier_id: str, version: int, closed: int, updated_at: datetime) -> tuple[Any, ...]:
    base = next(s for s in EXPECTED_STATE if s["dossier_id"] == "D3")
    values = {**base, "dossier_id": dossier_id, "version": version, "closed": closed}
    return row_from_mapping(DOSSIER_OPEN, {**values, "updated_at": updated_at})


def test_compaction_deletes_old_closings_and_keeps_open_and_recent(settings: Any) -> None:
    client = make_client(settings.clickhouse)
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
        compact_open(client, database)
        table = f"{database}.{DOSSIER_OPEN.name}"
        deadline = time.monotonic() + 30  # mutations run in the background
        while time.monotonic() < deadline:
            left = client.execute(f"SELECT dossier_id, closed FROM {table} ORDER BY dossier_id")
            if ("GONE", 1) not in left:
                break
            time.sleep(0.5)
        assert left == [("JUST", 1), ("OPEN", 0)]
        view = client.execute(f"SELECT dossier_id FROM {database}.{V_DOSSIER_OPEN}")
        assert view == [("OPEN",)]
    finally:
        client.disconnect()

"""Keep `dossier_open` small: closing rows are needed only until they replaced the open row.

`compact_open` merges the table (`OPTIMIZE ... FINAL`: every dossier down to its latest
row), then deletes the closing rows older than `keep_seconds`. A closing row is deleted only
after the merge put it in place of the open row, and old enough that no retried insert of
an earlier open row can still arrive (the sink retries for seconds, not an hour). The table
then holds the open dossiers plus the last hour's closings, whatever the history.
"""

from __future__ import annotations

from cityops.db.client import SqlClient
from cityops.db.sqltext import identifier
from cityops.db.tables import DOSSIER_OPEN, DOSSIER_STATE, qualified

KEEP_SECONDS = 3600
OPEN_HISTORY = "dossier_open_history"


def compact_open(client: SqlClient, database: str, keep_seconds: int = KEEP_SECONDS) -> None:
    table = qualified(DOSSIER_OPEN.name, identifier(database))
    client.execute(f"OPTIMIZE TABLE {table} FINAL")
    client.execute(
        f"ALTER TABLE {table} DELETE WHERE closed = 1 AND updated_at < now() - {keep_seconds}"
    )


def backfill_open(client: SqlClient, database: str) -> None:
    """The dossiers open in `dossier_state` (an upgrade's history); safe to re-run."""
    db = identifier(database)
    columns = ", ".join(DOSSIER_STATE.column_names)
    client.execute(
        f"INSERT INTO {qualified(DOSSIER_OPEN.name, db)} ({columns}) SELECT {columns} "
        f"FROM {db}.{DOSSIER_STATE.name} FINAL "
        "WHERE closed = 0 AND isNotNull(received_event_at)"
    )

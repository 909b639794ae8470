"""Keep `alerts_live` small, and fill the alert tables `v_alerts` reads on an upgrade.

`alerts_live` receives every alert change (materialized view of `alerts`, migration 033);
`compact_alerts` merges it (`OPTIMIZE ... FINAL`: each alert down to its latest row), then
deletes the resolved alerts whose last change is older than `keep_seconds`. They stay in
`alerts_resolved`, where `v_alerts` finds them once they are gone from `alerts_live`. A
resolved row is deleted only after the merge put it in place of the firing row, and by the
worker's clock (`version`, epoch ms), not the event time: a late-learnt resolution of an
old alert is kept for an hour like any other. As for `dossier_open`, a retried insert of an
older firing row more than an hour later would show the alert firing again; the workers
retry and replay for seconds to minutes.
"""

from __future__ import annotations

from cityops.db.client import SqlClient
from cityops.db.open_dossiers import KEEP_SECONDS
from cityops.db.sqltext import identifier
from cityops.db.tables import ALERTS, ALERTS_LIVE, ALERTS_RESOLVED, qualified

ALERTS_HISTORY = "alert_tables_history"


def _older_than(keep_seconds: int) -> str:
    return f"version < (toUInt64(now()) - {int(keep_seconds)}) * 1000"


def compact_alerts(client: SqlClient, database: str, keep_seconds: int = KEEP_SECONDS) -> None:
    table = qualified(ALERTS_LIVE.name, identifier(database))
    client.execute(f"OPTIMIZE TABLE {table} FINAL")
    client.execute(
        f"ALTER TABLE {table} DELETE WHERE state = 'resolved' AND {_older_than(keep_seconds)}"
    )


def backfill_alerts(client: SqlClient, database: str, keep_seconds: int = KEEP_SECONDS) -> None:
    """`alerts_live` and `alerts_resolved` from the history in `alerts`; safe to re-run.

    `alerts_live` gets each alert's latest row when it is firing or recent (what a
    compaction would leave), `alerts_resolved` every resolved row.
    """
    db = identifier(database)
    columns = ", ".join(ALERTS.column_names)
    source = qualified(ALERTS.name, db)
    client.execute(
        f"INSERT INTO {qualified(ALERTS_LIVE.name, db)} ({columns}) "
        f"SELECT {columns} FROM {source} FINAL "
        f"WHERE state != 'resolved' OR NOT ({_older_than(keep_seconds)})"
    )
    client.execute(
        f"INSERT INTO {qualified(ALERTS_RESOLVED.name, db)} ({columns}) "
        f"SELECT {columns} FROM {source} WHERE state = 'resolved'"
    )

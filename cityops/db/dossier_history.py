"""The dossier figures already in `dossier_state`, backfilled into the KPI tables (and the
business registrations into theirs).

Workers write each dossier's row per KPI cell when its state changes
(streams/dossier/kpis.py). A deployment upgraded to those tables has years of dossiers no
worker will touch again: their rows are computed here, by the same rule in batch SQL, from
`dossier_state FINAL`, with the state's version. A worker's later row for the same cell and
dossier has a version at least as high (it derives from the same state, or a newer one), so
the backfill is safe to re-run, and safe while workers write.
"""

from __future__ import annotations

from cityops.db.client import SqlClient
from cityops.db.migrate import render
from cityops.db.sqltext import identifier
from cityops.db.tables import (
    BUSINESS_REGISTRATION_DAILY,
    BUSINESS_REGISTRATION_FIELD,
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_MINUTE,
    DOSSIER_STATE,
)

#: Each dossier's figures per cell (`{cell}`: the minute or local day of the time column).
_CONTRIBUTIONS = """
SELECT {received_cell} AS cell, agency_code, area_code, dossier_id, version,
       1 AS received, toUInt8(channel = 'online') AS online_received,
       toUInt8(online_level = 'full') AS full_online_received, 0 AS resolved,
       0 AS resolved_on_time, 0 AS resolved_late, toInt64(0) AS processing_seconds,
       0 AS processing_count
FROM {{db}}.{{dossier_state}} FINAL
WHERE isNotNull(received_event_at) AND {bucket}
UNION ALL
SELECT {resolved_cell} AS cell, agency_code, area_code, dossier_id, version,
       0 AS received, 0 AS online_received, 0 AS full_online_received, 1 AS resolved,
       toUInt8(ifNull(resolved_at <= due_at, 0)) AS resolved_on_time,
       toUInt8(1 - resolved_on_time) AS resolved_late,
       if(isNotNull(received_at) AND isNotNull(resolved_at),
          toInt64(assumeNotNull(resolved_at)) - toInt64(assumeNotNull(received_at)),
          toInt64(0)) AS processing_seconds,
       toUInt8(isNotNull(received_at) AND isNotNull(resolved_at)) AS processing_count
FROM {{db}}.{{dossier_state}} FINAL
WHERE isNotNull(first_resolved_event_at) AND {bucket}
"""

_CELLS = {
    DOSSIER_KPI_MINUTE.name: "toStartOfMinute(assumeNotNull({column}))",
    DOSSIER_KPI_DAILY.name: "toDate(toTimeZone(assumeNotNull({column}), '{{tz}}'))",
}
#: The 0/1 figures (the columns written as UInt8 before the processing time's).
_FIGURES = tuple(
    c.name for c in DOSSIER_KPI_MINUTE.columns if c.type == "UInt8" and c.name != "processing_count"
)
DOSSIER_HISTORY = "dossier_kpis_history"
#: Dossiers per pass of the backfill: its GROUP BY holds each pass's rows in memory (a
#: country's 20 million dossiers in one pass needed more than 8 GiB on 18.16).
DOSSIERS_PER_PASS = 2_000_000


def history_sql(table: str, bucket: str = "1") -> str:
    """INSERT of the rows into `table` (one row per cell: figures summed) of the dossiers
    `bucket` (a condition) selects."""
    cell = _CELLS[table]
    contributions = _CONTRIBUTIONS.format(
        received_cell=cell.format(column="received_event_at"),
        resolved_cell=cell.format(column="first_resolved_event_at"),
        bucket=bucket,
    )
    flags = ", ".join(f"toUInt8(sum({c}))" for c in _FIGURES)
    return (
        f"INSERT INTO {{q.{table}}} SELECT cell, agency_code, area_code, dossier_id, {flags}, "
        "sum(processing_seconds), toUInt8(sum(processing_count)), max(version) "
        f"FROM ({contributions}) GROUP BY cell, agency_code, area_code, dossier_id"
    )


def backfill_dossier_history(client: SqlClient, database: str) -> None:
    """Write every dossier's KPI rows from `dossier_state` into both grains' tables, in
    passes of about `DOSSIERS_PER_PASS` dossiers (by a hash of the id)."""
    db = identifier(database)
    rows = client.execute(f"SELECT count() FROM {db}.{DOSSIER_STATE.name}")[0][0]
    passes = max(1, -(-int(rows) // DOSSIERS_PER_PASS))
    for table in _CELLS:
        for bucket in range(passes):
            only = f"cityHash64(dossier_id) % {passes} = {bucket}"
            client.execute(render(history_sql(table, only), db))


#: Business registrations listed from `dossier_state` (the rule of 005's query-time view).
BUSINESS_HISTORY = "business_registration_history"
_BUSINESS = """
INSERT INTO {{q.{table}}}
SELECT toDate(toTimeZone(assumeNotNull(first_resolved_event_at), '{{tz}}')) AS day,
       agency_code, area_code, dossier_id, 1 AS present, procedure_code, status, received_at,
       resolved_at, due_at, version
FROM {{db}}.{{dossier_state}} FINAL
WHERE field_code = '{field}'
    AND isNotNull(first_resolved_event_at)
    AND isNotNull(received_at)
"""


def backfill_business_history(client: SqlClient, database: str) -> None:
    """Write every listed business registration's row from `dossier_state`; re-runnable."""
    sql = _BUSINESS.format(
        table=BUSINESS_REGISTRATION_DAILY.name, field=BUSINESS_REGISTRATION_FIELD
    )
    client.execute(render(sql, identifier(database)))

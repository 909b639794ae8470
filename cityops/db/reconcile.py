"""Batch reconciliation: every read-API figure recomputed from the raw event tables.

The workers keep `dossier_state` incrementally and the views count from it; here the same
rule (contract.md, "How each figure counts") is written a second time as plain batch SQL
over the raw events, deduplicated by `event_id`. After a run, `reconcile()` must return no
difference: a non-empty result means a worker, a view or this module got the rule wrong.
Each figure is a pair of functions returning sorted rows of (key columns..., figures...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cityops.contract.enums import CLOSING_STATUSES, DossierStatus
from cityops.db.client import SqlClient
from cityops.db.migrate import render
from cityops.db.sqltext import literal

Rows = list[tuple[Any, ...]]

_CLOSING = "e_status IN (" + ", ".join(sorted(literal(s.value) for s in CLOSING_STATUSES)) + ")"
_RECEIVED = f"e_status = {literal(DossierStatus.RECEIVED.value)}"
_RESOLVED = f"e_status = {literal(DossierStatus.RESOLVED.value)}"


def _latest_non_null(column: str) -> str:
    """The value of the latest event that has one; NULL when none has (any ClickHouse)."""
    present = f"isNotNull({column})"
    return f"if(countIf({present}) = 0, NULL, argMaxIf(assumeNotNull({column}), e_ord, {present}))"


def _first_time(condition: str) -> str:
    return f"if(countIf({condition}) = 0, NULL, minIf(e_occurred_at, {condition}))"


_DESCRIPTIVE = [
    "status",
    "procedure_code",
    "procedure_name",
    "field_code",
    "agency_code",
    "agency_name",
    "area_code",
    "area_name",
    "channel",
    "online_level",
    "applicant_type",
]

#: dossier_state as the batch rule derives it from dossier_events (no updated_at).
BATCH_DOSSIER_STATE = f"""
SELECT
    e_dossier_id AS dossier_id,
    {", ".join(f"argMax(e_{c}, e_ord) AS {c}" for c in _DESCRIPTIVE)},
    {_first_time(_RECEIVED)} AS received_event_at,
    {_latest_non_null("e_received_at")} AS received_at,
    {_latest_non_null("e_due_at")} AS due_at,
    {_first_time(_RESOLVED)} AS first_resolved_event_at,
    if(countIf({_RESOLVED}) = 0, NULL,
       argMinIf(ifNull(e_resolved_at, e_occurred_at), e_ord, {_RESOLVED})) AS resolved_at,
    toUInt8(countIf({_CLOSING}) > 0) AS closed,
    {_first_time(_CLOSING)} AS closed_at,
    max(e_occurred_ms) AS last_event_ms,
    uniqExact(e_event_id) AS version
FROM
(
    SELECT
        event_id AS e_event_id, dossier_id AS e_dossier_id, occurred_at AS e_occurred_at,
        occurred_ms AS e_occurred_ms, tuple(occurred_ms, event_id) AS e_ord,
        {", ".join(f"{c} AS e_{c}" for c in _DESCRIPTIVE)},
        received_at AS e_received_at, due_at AS e_due_at, resolved_at AS e_resolved_at
    FROM {{db}}.{{dossier_events}}
)
GROUP BY e_dossier_id
"""

STATE_COLUMNS = (
    "dossier_id",
    *_DESCRIPTIVE,
    "received_event_at",
    "received_at",
    "due_at",
    "first_resolved_event_at",
    "resolved_at",
    "closed",
    "closed_at",
    "last_event_ms",
    "version",
)


def _query(client: SqlClient, sql: str, database: str) -> Rows:
    rows = client.execute(render(sql, database))
    return sorted(tuple(_normalise(v) for v in row) for row in rows)


def _normalise(value: Any) -> Any:
    """Floats rounded (the two sides sum in different orders); NaN means no value."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


# -- dossier_state ----------------------------------------------------------------------------


def batch_dossier_state(client: SqlClient, database: str) -> Rows:
    return _query(client, BATCH_DOSSIER_STATE, database)


def view_dossier_state(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(STATE_COLUMNS)
    return _query(client, f"SELECT {columns} FROM {{db}}.{{dossier_state}} FINAL", database)


# -- v_dossier_daily ---------------------------------------------------------------------------

DAILY_FIGURES = [
    "received",
    "online_received",
    "full_online_received",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "avg_processing_hours",
]


def batch_dossier_daily(client: SqlClient, database: str) -> Rows:
    received = client.execute(
        render(
            f"""
            SELECT toDate(toTimeZone(assumeNotNull(received_event_at), '{{tz}}')) AS day,
                   agency_code, area_code, count(), countIf(channel = 'online'),
                   countIf(online_level = 'full')
            FROM ({BATCH_DOSSIER_STATE}) WHERE isNotNull(received_event_at)
            GROUP BY day, agency_code, area_code""",
            database,
        )
    )
    resolved = client.execute(
        render(
            f"""
            SELECT toDate(toTimeZone(assumeNotNull(first_resolved_event_at), '{{tz}}')) AS day,
                   agency_code, area_code, count(),
                   countIf(ifNull(resolved_at <= due_at, 0) = 1),
                   sumIf(toInt64(assumeNotNull(resolved_at))
                         - toInt64(assumeNotNull(received_at)), isNotNull(received_at)),
                   countIf(isNotNull(received_at))
            FROM ({BATCH_DOSSIER_STATE}) WHERE isNotNull(first_resolved_event_at)
            GROUP BY day, agency_code, area_code""",
            database,
        )
    )
    figures: dict[tuple[Any, ...], list[Any]] = {}
    for day, agency, area, n, online, full in received:
        figures.setdefault((day, agency, area), [0] * 6 + [None])[0:3] = [n, online, full]
    for day, agency, area, n, on_time, seconds, timed in resolved:
        row = figures.setdefault((day, agency, area), [0] * 6 + [None])
        row[3:6] = [n, on_time, n - on_time]
        row[6] = seconds / 3600 / timed if timed else None
    return sorted(tuple(_normalise(v) for v in (*k, *v)) for k, v in figures.items())


def view_dossier_daily(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(("day", "agency_code", "area_code", *DAILY_FIGURES))
    return _query(client, f"SELECT {columns} FROM {{q.v_dossier_daily}}", database)


# -- v_dossier_open ----------------------------------------------------------------------------

OPEN_COLUMNS = [
    "dossier_id",
    "agency_code",
    "area_code",
    "procedure_code",
    "status",
    "received_at",
    "due_at",
]


def batch_dossier_open(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(OPEN_COLUMNS)
    sql = (
        f"SELECT {columns} FROM ({BATCH_DOSSIER_STATE}) "
        "WHERE closed = 0 AND isNotNull(received_event_at)"
    )
    return _query(client, sql, database)


def view_dossier_open(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(OPEN_COLUMNS)
    return _query(client, f"SELECT {columns} FROM {{q.v_dossier_open}}", database)


# -- v_business_registration -------------------------------------------------------------------

BUSINESS_COLUMNS = [
    "dossier_id",
    "day",
    "agency_code",
    "area_code",
    "procedure_code",
    "status",
    "received_at",
    "resolved_at",
    "due_at",
    "processing_hours",
    "within_due",
]


def batch_business_registration(client: SqlClient, database: str) -> Rows:
    """The listed business registrations by the rule of the view's first, query-time form:
    resolved dossiers of the field, on the local day of their first resolution."""
    sql = f"""
    SELECT dossier_id,
           toDate(toTimeZone(assumeNotNull(first_resolved_event_at), '{{tz}}')) AS day,
           agency_code, area_code, procedure_code, status, received_at, resolved_at, due_at,
           (toInt64(assumeNotNull(resolved_at)) - toInt64(assumeNotNull(received_at))) / 3600
               AS processing_hours,
           toUInt8(ifNull(resolved_at <= due_at, 0)) AS within_due
    FROM ({BATCH_DOSSIER_STATE})
    WHERE field_code = '{{business_registration_field}}'
        AND isNotNull(first_resolved_event_at) AND isNotNull(received_at)
    """
    return _query(client, sql, database)


def view_business_registration(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(BUSINESS_COLUMNS)
    return _query(client, f"SELECT {columns} FROM {{q.v_business_registration}}", database)


# -- v_payment_daily ---------------------------------------------------------------------------

PAYMENT_FIGURES = [
    "initiated",
    "succeeded",
    "failed",
    "refunded",
    "amount_vnd",
    "cashless_succeeded",
    "cashless_amount_vnd",
]


def batch_payment_daily(client: SqlClient, database: str) -> Rows:
    """Distinct payments per status and day; amounts from each succeeded payment's latest event."""
    sql = """
    SELECT p_day, p_agency, p_area,
           uniqExactIf(p_id, p_status = 'initiated'),
           uniqExactIf(p_id, p_status = 'succeeded'),
           uniqExactIf(p_id, p_status = 'failed'),
           uniqExactIf(p_id, p_status = 'refunded'),
           sumIf(p_amount, p_status = 'succeeded'),
           uniqExactIf(p_id, p_status = 'succeeded' AND p_method != 'cash'),
           sumIf(p_amount, p_status = 'succeeded' AND p_method != 'cash')
    FROM
    (
        SELECT toDate(toTimeZone(occurred_at, '{tz}')) AS p_day, agency_code AS p_agency,
               area_code AS p_area, payment_id AS p_id, status AS p_status,
               argMax(amount_vnd, tuple(occurred_ms, event_id)) AS p_amount,
               argMax(method, tuple(occurred_ms, event_id)) AS p_method
        FROM {db}.{payment_events}
        GROUP BY p_day, p_agency, p_area, p_id, p_status
    )
    GROUP BY p_day, p_agency, p_area"""
    return _query(client, sql, database)


def view_payment_daily(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(("day", "agency_code", "area_code", *PAYMENT_FIGURES))
    return _query(client, f"SELECT {columns} FROM {{q.v_payment_daily}}", database)


# -- v_portal_daily, v_portal_hourly -----------------------------------------------------------

PORTAL_FIGURES = ["sessions", "submissions_completed", "ratings", "satisfied_ratings"]


def _batch_portal(client: SqlClient, database: str, period: str) -> Rows:
    """Events deduplicated by event_id first, then counted per `period` (of `o_at`)."""
    sql = f"""
    SELECT {period} AS o_period, o_agency,
           uniqExactIf(o_session, o_kind = 'session_started'),
           countIf(o_kind = 'submission_completed'),
           countIf(o_kind = 'rating_submitted'),
           countIf(o_kind = 'rating_submitted' AND o_rating >= 4)
    FROM
    (
        SELECT event_id, any(occurred_at) AS o_at, any(ifNull(agency_code, '')) AS o_agency,
               any(kind) AS o_kind, any(ifNull(session_id, event_id)) AS o_session,
               any(ifNull(rating, 0)) AS o_rating
        FROM {{db}}.{{portal_events}}
        GROUP BY event_id
    )
    GROUP BY o_period, o_agency"""
    return _query(client, sql, database)


def batch_portal_daily(client: SqlClient, database: str) -> Rows:
    return _batch_portal(client, database, "toDate(toTimeZone(o_at, '{tz}'))")


def view_portal_daily(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(("day", "agency_code", *PORTAL_FIGURES))
    return _query(client, f"SELECT {columns} FROM {{q.v_portal_daily}}", database)


def batch_portal_hourly(client: SqlClient, database: str) -> Rows:
    # Through UInt32: 18.16 types the hour of `any(occurred_at)` DateTime('UTC'), which the
    # driver returns zone-aware, while the view's `hour` column is a plain DateTime.
    return _batch_portal(client, database, "toDateTime(toUInt32(toStartOfHour(o_at)))")


def view_portal_hourly(client: SqlClient, database: str) -> Rows:
    columns = ", ".join(("hour", "agency_code", *PORTAL_FIGURES))
    return _query(client, f"SELECT {columns} FROM {{q.v_portal_hourly}}", database)


# -- comparison --------------------------------------------------------------------------------

Query = Callable[[SqlClient, str], Rows]


@dataclass(frozen=True)
class Figure:
    name: str
    batch: Query
    view: Query
    #: How many leading columns identify a row.
    key_width: int


FIGURES: tuple[Figure, ...] = (
    Figure("dossier_state", batch_dossier_state, view_dossier_state, 1),
    Figure("v_dossier_daily", batch_dossier_daily, view_dossier_daily, 3),
    Figure("v_dossier_open", batch_dossier_open, view_dossier_open, 1),
    Figure("v_business_registration", batch_business_registration, view_business_registration, 1),
    Figure("v_payment_daily", batch_payment_daily, view_payment_daily, 3),
    Figure("v_portal_daily", batch_portal_daily, view_portal_daily, 2),
    Figure("v_portal_hourly", batch_portal_hourly, view_portal_hourly, 2),
)


@dataclass(frozen=True)
class Difference:
    figure: str
    key: tuple[Any, ...]
    batch: tuple[Any, ...] | None
    view: tuple[Any, ...] | None


def _is_empty(values: tuple[Any, ...]) -> bool:
    return all(v in (0, None) for v in values)


def compare(name: str, batch: Rows, view: Rows, key_width: int) -> list[Difference]:
    """Rows whose figures differ; a row missing on one side equals a row of zeros."""
    left = {r[:key_width]: r[key_width:] for r in batch}
    right = {r[:key_width]: r[key_width:] for r in view}
    differences = []
    for key in sorted(left.keys() | right.keys(), key=repr):
        a, b = left.get(key), right.get(key)
        if a == b or (a is None and b is not None and _is_empty(b)):
            continue
        if b is None and a is not None and _is_empty(a):
            continue
        differences.append(Difference(name, key, a, b))
    return differences


def reconcile(client: SqlClient, database: str) -> list[Difference]:
    """Every figure, batch against view; empty when the pipeline is exact."""
    differences: list[Difference] = []
    for figure in FIGURES:
        differences += compare(
            figure.name,
            figure.batch(client, database),
            figure.view(client, database),
            figure.key_width,
        )
    return differences

"""Synthetic history for `make bench-queries`, generated inside ClickHouse.

Rows are made by `INSERT ... SELECT ... FROM numbers(N)` so that millions of them take
seconds, not the minutes a trip through Kafka and the workers would take (the workers'
own speed is `make bench`'s job). Events are spread evenly over the volume's years and end
now, so "today" panels find data; names come from the reference folder, multiplied into
provinces for the country volume. The figures are not realistic, their cardinalities are:
one state row per dossier, one `received` event per dossier, two events per payment,
portal sessions of ten events, and an overdue alert (firing, then resolved) per dossier
resolved after its due date or open past it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cityops.db.client import SqlClient
from cityops.db.sqltext import identifier, literal
from cityops.reference import ReferenceData

DAY_S = 86_400


@dataclass(frozen=True)
class Volume:
    """How much history: rows per source over `years`, and how many provinces' names."""

    name: str
    years: float
    dossiers: int
    payment_events: int
    portal_events: int
    provinces: int

    def scaled(self, factor: float) -> Volume:
        """The same span with `factor` times the rows (a smaller run on a busy machine)."""
        return Volume(
            f"{self.name} x{factor:g}" if factor != 1 else self.name,
            self.years,
            int(self.dossiers * factor),
            int(self.payment_events * factor),
            int(self.portal_events * factor),
            self.provinces,
        )

    def recent(self, days: int) -> Volume:
        """Only the last `days` of history at the same rows per day: what a range query
        on the new views reads is the same, the history behind it shorter."""
        factor = days / (self.years * 365)
        return Volume(
            f"{self.name}, last {days} days",
            days / 365,
            int(self.dossiers * factor),
            int(self.payment_events * factor),
            int(self.portal_events * factor),
            self.provinces,
        )


VOLUMES: dict[str, Volume] = {
    "province": Volume("province, 5 years", 5, 2_500_000, 2_500_000, 10_000_000, 1),
    "country": Volume("country, 1 year", 1, 20_000_000, 20_000_000, 100_000_000, 63),
}


def _array(values: list[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


@dataclass(frozen=True)
class Names:
    """Codes and names the rows pick from by index (`arr[1 + i % n]`)."""

    agencies: list[str]
    areas: list[str]
    procedures: list[str]
    fields: list[str]

    @classmethod
    def of(cls, reference: ReferenceData, provinces: int) -> Names:
        def times(codes: list[str]) -> list[str]:
            if provinces == 1:
                return codes
            return [f"{p:02d}{c}" for p in range(provinces) for c in codes]

        procedures = list(reference.procedures.values())
        return cls(
            times(list(reference.agencies)),
            times(list(reference.areas)),
            [p.procedure_code for p in procedures],
            [p.field_code for p in procedures],
        )

    def pick(self, kind: str, index: str) -> str:
        values: list[str] = getattr(self, kind)
        return f"{_array(values)}[1 + ({index}) % {len(values)}]"


def _dossier_state(db: str, names: Names, n: int, start: int, span: int, now: int) -> str:
    # Closed unless recent and every third, or one in 500 (stuck and overdue).
    return f"""
    INSERT INTO {db}.dossier_state
    SELECT id, if(closed = 1, 'resolved', 'in_progress') AS status, procedure_code,
           procedure_code AS procedure_name, field_code, agency_code, agency_code AS agency_name,
           area_code, area_code AS area_name, if(i % 2 = 0, 'online', 'direct') AS channel,
           if(i % 4 = 0, 'full', if(i % 2 = 0, 'partial', 'none')) AS online_level,
           'citizen' AS applicant_type, toNullable(received) AS received_event_at,
           toNullable(received) AS received_at, toNullable(received + 432000) AS due_at,
           if(closed = 1, resolved, NULL) AS first_resolved_event_at,
           if(closed = 1, resolved, NULL) AS resolved_at, closed,
           if(closed = 1, resolved, NULL) AS closed_at,
           toUInt64(if(closed = 1, resolved, received)) * 1000 AS last_event_ms,
           toUInt64(2 + closed) AS version, toDateTime({now}) AS updated_at
    FROM
    (
        SELECT number AS i, concat('D', toString(i)) AS id,
               toDateTime({start} + intDiv(i * {span}, {n})) AS received,
               received + (2 + (i * 7919) % 200) * 3600 AS resolved,
               toUInt8(toUInt32(resolved) <= {now} AND i % 500 != 0
                       AND NOT (toUInt32(received) > {now - 20 * DAY_S} AND i % 3 = 0)) AS closed,
               {names.pick("procedures", "i")} AS procedure_code,
               {names.pick("fields", "i")} AS field_code,
               {names.pick("agencies", "i")} AS agency_code,
               {names.pick("areas", "intDiv(i, 7)")} AS area_code
        FROM numbers({n})
    )"""


def _dossier_events(db: str, names: Names, n: int, start: int, span: int) -> str:
    return f"""
    INSERT INTO {db}.dossier_events
    SELECT concat('E', toString(i)), 'dossier.received', at, toUInt64(at) * 1000,
           'egov-dossier', 1, concat('D', toString(i)), 'received',
           {names.pick("procedures", "i")}, '', {names.pick("fields", "i")},
           {names.pick("agencies", "i")}, '', {names.pick("areas", "intDiv(i, 7)")}, '',
           'online', 'full', 'citizen', '', toNullable(at), NULL, NULL, at + 1,
           toUInt16(i % 6), i
    FROM (SELECT number AS i, toDateTime({start} + intDiv(i * {span}, {n})) AS at
          FROM numbers({n}))"""


def _payment_events(db: str, names: Names, n: int, start: int, span: int) -> str:
    methods = _array(["cash", "qr", "card", "transfer", "ewallet"])
    providers = _array(["desk", "napas", "vnpay", "momo"])
    return f"""
    INSERT INTO {db}.payment_events
    SELECT concat('PE', toString(i)), concat('payment.', status), at, toUInt64(at) * 1000,
           'paygov-webhook', 1, concat('P', toString(intDiv(i, 2))), NULL, status,
           {methods}[1 + intDiv(i, 2) % 5], 50000 + (intDiv(i, 2) % 7) * 10000, 'fee',
           {names.pick("agencies", "intDiv(i, 2)")},
           {names.pick("areas", "intDiv(i, 14)")},
           {providers}[1 + intDiv(i, 2) % 4],
           if(status = 'failed', 'timeout', NULL), at + 1, toUInt16(i % 6), i
    FROM (SELECT number AS i, toDateTime({start} + intDiv(i * {span}, {n})) AS at,
                 if(i % 2 = 0, 'initiated', if(i % 41 = 1, 'failed', 'succeeded')) AS status
          FROM numbers({n}))"""


_PORTAL_KINDS = (
    ["session_started"] * 10
    + ["submission_started"] * 3
    + ["submission_completed"] * 3
    + ["rating_submitted"] * 2
    + ["feedback_submitted", "account_registered"]
)


def _portal_events(db: str, names: Names, n: int, start: int, span: int) -> str:
    return f"""
    INSERT INTO {db}.portal_events
    SELECT concat('O', toString(i)), concat('portal.', kind), at, toUInt64(at) * 1000,
           'portal', 1, kind, toNullable(concat('S', toString(intDiv(i, 20)))),
           NULL, if(kind IN ('session_started', 'account_registered'), NULL,
                    {names.pick("agencies", "intDiv(i, 20)")}),
           if(kind = 'rating_submitted', toUInt8(1 + i % 5), NULL),
           'mobile', at + 1, toUInt16(i % 6), i
    FROM (SELECT number AS i, toDateTime({start} + intDiv(i * {span}, {n})) AS at,
                 {_array(_PORTAL_KINDS)}[1 + i % {len(_PORTAL_KINDS)}] AS kind
          FROM numbers({n}))"""


def _alerts(db: str, names: Names, n: int, start: int, span: int, now: int) -> str:
    """An overdue alert per dossier past its due date, as the workers raise them: a firing
    row at the due date and, once the dossier closed, a resolved row (versions: epoch ms)."""
    return f"""
    INSERT INTO {db}.alerts
    SELECT concat('A', toString(i), ':', state), concat('alert.', state), changed, 'streams', 1,
           concat('dossier_overdue:D', toString(i)), 'dossier_overdue', 'critical', state,
           concat('D', toString(i)), toNullable({names.pick("agencies", "i")}), 'quá hạn',
           'overdue', due, if(state = 'resolved', toNullable(resolved), NULL),
           toUInt64(changed) * 1000
    FROM
    (
        SELECT i, due, resolved, closed, arrayJoin(if(closed = 1, ['firing', 'resolved'],
               ['firing'])) AS state, if(state = 'resolved', resolved, due) AS changed
        FROM
        (
            SELECT number AS i, toDateTime({start} + intDiv(i * {span}, {n})) AS received,
                   received + 432000 AS due,
                   received + (2 + (i * 7919) % 200) * 3600 AS resolved,
                   toUInt8(toUInt32(resolved) <= {now} AND i % 500 != 0
                           AND NOT (toUInt32(received) > {now - 20 * DAY_S} AND i % 3 = 0))
                       AS closed
            FROM numbers({n})
        )
        WHERE toUInt32(due) <= {now} AND (closed = 0 OR resolved > due)
    )"""


def _operations(db: str, names: Names, n: int, start: int, span: int, now: int) -> list[str]:
    """Alerts (`_alerts`), dead letters (one per 1,000 dossiers) and lag samples."""
    letters = max(n // 1000, 1)
    return [
        _alerts(db, names, n, start, span, now),
        f"""
        INSERT INTO {db}.deadletters
        SELECT 'egov-dossier', 'unknown status', 'connector',
               toNullable('cityops.dossier.v1'), at, toString(i), at
        FROM (SELECT number AS i, toDateTime({start} + intDiv(i * {span}, {letters})) AS at
              FROM numbers({letters}))""",
        f"""
        INSERT INTO {db}.consumer_lag
        SELECT 'cityops-streams', topic, toUInt32(p), 5, 100, 105, toDateTime({now})
        FROM (SELECT arrayJoin(['cityops.dossier.v1', 'cityops.payment.v1',
                                'cityops.portal.v1']) AS topic, arrayJoin(range(6)) AS p)""",
    ]


def generate(
    client: SqlClient, database: str, volume: Volume, reference: ReferenceData
) -> dict[str, float]:
    """Fill `database` (migrated) with `volume`'s history; returns seconds per table."""
    db = identifier(database)
    names = Names.of(reference, volume.provinces)
    now = int(time.time())
    span = int(volume.years * 365 * DAY_S)
    start = now - span
    steps = {
        "dossier_state": _dossier_state(db, names, volume.dossiers, start, span, now),
        "dossier_events": _dossier_events(db, names, volume.dossiers, start, span),
        "payment_events": _payment_events(db, names, volume.payment_events, start, span),
        "portal_events": _portal_events(db, names, volume.portal_events, start, span),
    }
    seconds: dict[str, float] = {}
    for table, sql in steps.items():
        began = time.monotonic()
        client.execute(sql)
        seconds[table] = time.monotonic() - began
    began = time.monotonic()
    for sql in _operations(db, names, volume.dossiers, start, span, now):
        client.execute(sql)
    seconds["operations"] = time.monotonic() - began
    return seconds

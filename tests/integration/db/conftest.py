"""Backends and a crafted data set for the storage tests.

Every view test runs twice: on the local ClickHouse 18.16 server and on chdb (current
ClickHouse embedded), so SQL that only one of them accepts, or that counts differently on
one of them, fails a test. The data set is small and hand-made so that every expected number
below can be checked by reading it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cityops.contract import DossierEvent, PaymentEvent, PortalEvent
from cityops.db import migrate
from cityops.db.client import make_client
from cityops.db.databases import api_database
from cityops.db.sqltext import values
from cityops.db.tables import (
    BUSINESS_REGISTRATION_DAILY,
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_MINUTE,
    DOSSIER_OPEN,
    DOSSIER_STATE,
    TableSpec,
)
from cityops.settings import Settings
from streams.dossier.business import business_cell, business_rows
from streams.dossier.kpis import kpi_rows
from streams.dossier.state import DossierState, merge
from streams.sink.rows import epoch_ms, raw_row, row_from_mapping


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def naive(text: str) -> datetime:
    """How both backends hand back a DateTime: naive, in UTC."""
    return utc(text).replace(tzinfo=None)


class ChdbClient:
    """The slice of clickhouse-driver's `Client.execute` that cityops' storage code uses."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def execute(self, query: str, params: list[tuple[Any, ...]] | None = None) -> list[tuple]:
        if params is not None:
            query = f"{query} {values(params)}"
        result = self._session.query(query, "JSONCompact")
        text = result.bytes().decode() if hasattr(result, "bytes") else str(result)
        if not text.strip():
            return []
        payload = json.loads(text)
        types = [column["type"] for column in payload["meta"]]
        return [
            tuple(_convert(t, v) for t, v in zip(types, row, strict=True))
            for row in payload["data"]
        ]

    def disconnect(self) -> None:
        pass


def _convert(type_: str, value: Any) -> Any:
    if value is None:
        return None
    if type_.startswith("Nullable("):
        type_ = type_[len("Nullable(") : -1]
    if type_.startswith(("UInt", "Int")):
        return int(value)
    if type_.startswith("Float"):
        return float(value)
    if type_ == "Date":
        return date.fromisoformat(value)
    if type_.startswith("DateTime"):
        return datetime.fromisoformat(value)
    return value


@pytest.fixture(scope="module")
def chdb_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Module-scoped and closed after: chdb runs one embedded server per process."""
    from chdb import session

    sess = session.Session(str(tmp_path_factory.mktemp("chdb")))
    sess.query("SET session_timezone = 'UTC'")
    yield sess
    sess.close()


@dataclass
class Backend:
    name: str
    client: Any
    database: str
    settings: Settings | None = None
    #: A schema from before migration 021: every table still in the main database.
    one_database: bool = False


#: The first migration of the reader's database: a schema before it has one database.
READ_API_DATABASE_MIGRATION = 21


def migrated_backend(request: pytest.FixtureRequest, up_to: int | None = None) -> Iterator[Backend]:
    """A fresh database on the version `request.param` names, with the migrations up to
    version `up_to` (all: None), as a deployment of that time had it."""
    old = None if up_to is None else [m for m in migrate.discover() if m.version <= up_to]
    one_database = up_to is not None and up_to < READ_API_DATABASE_MIGRATION
    if request.param == "chdb":
        client = ChdbClient(request.getfixturevalue("chdb_session"))
        database = f"cityops_chdb_{uuid.uuid4().hex[:10]}"
        migrate.migrate(client, database, old)
        yield Backend("chdb", client, database, one_database=one_database)
        for name in (database, api_database(database)):
            client.execute(f"DROP DATABASE IF EXISTS {name}")
        return
    settings: Settings = request.getfixturevalue("settings")
    # The schema owner: it migrates and loads the crafted rows the views are checked on.
    client = make_client(settings.clickhouse, migrator=True)
    migrate.migrate(client, settings.clickhouse.database, old)
    yield Backend("clickhouse-18.16", client, settings.clickhouse.database, settings, one_database)
    client.disconnect()


@pytest.fixture(params=["clickhouse-18.16", "chdb"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A freshly migrated database on one of the two ClickHouse versions."""
    yield from migrated_backend(request)


@pytest.fixture
def migrated(settings: Settings) -> Iterator[Settings]:
    """The test's own database with the schema, made by the account that owns it."""
    migrator = make_client(settings.clickhouse, migrator=True)
    migrate.migrate(migrator, settings.clickhouse.database)
    migrator.disconnect()
    yield settings


# -- the crafted data set --------------------------------------------------------------------

AG1, AR1, AG2, AR2 = "AG1", "AR1", "AG2", "AR2"
#: A due date that never passes during a test, and is inside the contract's time window.
FAR_FUTURE = f"{datetime.now(UTC).year + 1}-01-01T00:00:00Z"


def dossier(event_id: str, dossier_id: str, status: str, at: str, **fields: Any) -> DossierEvent:
    base: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": at,
        "source": "egov-test",
        "dossier_id": dossier_id,
        "status": status,
        "procedure_code": "P1",
        "procedure_name": "Thủ tục 1",
        "field_code": "DKDN",
        "agency_code": AG1,
        "agency_name": "Agency 1",
        "area_code": AR1,
        "area_name": "Area 1",
        "channel": "direct",
        "online_level": "none",
        "applicant_type": "citizen",
        "applicant_ref": "r" * 32,
    }
    base.update(fields)
    return DossierEvent.build(**base)


def payment(event_id: str, payment_id: str, status: str, at: str, method: str, amount: int):
    return PaymentEvent.build(
        event_id=event_id, occurred_at=at, source="paygov-test", payment_id=payment_id,
        status=status, method=method, amount_vnd=amount, fee_type="fee", agency_code=AG1,
        area_code=AR1, provider="vnpay",
    )  # fmt: skip


def portal(event_id: str, kind: str, at: str, **fields: Any) -> PortalEvent:
    return PortalEvent.build(
        event_id=event_id, occurred_at=at, source="portal-test", kind=kind, device="mobile",
        **fields,
    )  # fmt: skip


# Insertion order is arrival order: D2's resolved arrives before its received, D3's second
# event before its first, and several events arrive twice.
DOSSIER_EVENTS: list[DossierEvent] = [
    # D1: received 23:59:59 local on 03-04, resolved event at local midnight of 03-06.
    dossier("D1-rcv", "D1", "received", "2025-03-04T16:59:59Z", channel="online",
            online_level="full", received_at="2025-03-04T16:59:59Z", due_at="2025-03-06T10:00:00Z"),
    dossier("D1-rcv", "D1", "received", "2025-03-04T16:59:59Z", channel="online",
            online_level="full", received_at="2025-03-04T16:59:59Z", due_at="2025-03-06T10:00:00Z"),
    dossier("D1-res", "D1", "resolved", "2025-03-05T17:00:00Z", channel="online",
            online_level="full", received_at="2025-03-04T16:59:59Z", due_at="2025-03-06T10:00:00Z",
            resolved_at="2025-03-05T16:59:59Z"),
    dossier("D1-ret", "D1", "returned", "2025-03-06T02:00:00Z", channel="online",
            online_level="full", received_at="2025-03-04T16:59:59Z", due_at="2025-03-06T10:00:00Z",
            resolved_at="2025-03-05T16:59:59Z"),
    # D2: received at local midnight of 03-05; due extended; resolved arrives first.
    dossier("D2-res", "D2", "resolved", "2025-03-06T09:00:00Z", received_at="2025-03-04T17:00:00Z",
            due_at="2025-03-07T09:00:00Z", resolved_at="2025-03-06T09:00:00Z"),
    dossier("D2-rcv", "D2", "received", "2025-03-04T17:00:00Z", received_at="2025-03-04T17:00:00Z",
            due_at="2025-03-05T09:00:00Z"),
    dossier("D2-ext", "D2", "in_progress", "2025-03-05T08:00:00Z",
            received_at="2025-03-04T17:00:00Z", due_at="2025-03-07T09:00:00Z"),
    # D3: open and overdue; its later event (a new procedure code) arrives first.
    dossier("D3-prg", "D3", "in_progress", "2025-03-05T03:00:00Z", agency_code=AG2, area_code=AR2,
            procedure_code="P2", channel="online", online_level="partial",
            received_at="2025-03-05T02:00:00Z", due_at="2025-03-05T05:00:00Z"),
    dossier("D3-rcv", "D3", "received", "2025-03-05T02:00:00Z", agency_code=AG2, area_code=AR2,
            channel="online", online_level="partial", received_at="2025-03-05T02:00:00Z",
            due_at="2025-03-05T05:00:00Z"),
    # D4: open, not overdue; two events in the same millisecond: the larger event_id is later.
    dossier("D4-a", "D4", "received", "2025-03-05T03:00:00Z", agency_code=AG2, area_code=AR2,
            channel="online", online_level="full", received_at="2025-03-05T03:00:00Z",
            due_at=FAR_FUTURE),
    dossier("D4-b", "D4", "in_progress", "2025-03-05T03:00:00Z", agency_code=AG2, area_code=AR2,
            channel="online", online_level="full", received_at="2025-03-05T03:00:00Z",
            due_at=FAR_FUTURE),
    # D5: resolved late with no resolved_at (its event time counts), then resolved again.
    dossier("D5-rcv", "D5", "received", "2025-03-05T04:00:00Z", received_at="2025-03-05T04:00:00Z",
            due_at="2025-03-05T06:00:00Z"),
    dossier("D5-res", "D5", "resolved", "2025-03-05T08:00:00Z", received_at="2025-03-05T04:00:00Z",
            due_at="2025-03-05T06:00:00Z"),
    dossier("D5-res2", "D5", "resolved", "2025-03-05T09:00:00Z", received_at="2025-03-05T04:00:00Z",
            due_at="2025-03-05T06:00:00Z", resolved_at="2025-03-05T09:00:00Z"),
    # D6: submitted only: never received, never open.
    dossier("D6-sub", "D6", "submitted", "2025-03-05T05:00:00Z"),
    # D7: received online, then withdrawn.
    dossier("D7-rcv", "D7", "received", "2025-03-05T06:00:00Z", channel="online",
            online_level="partial", received_at="2025-03-05T06:00:00Z",
            due_at="2025-03-08T06:00:00Z"),
    dossier("D7-wd", "D7", "withdrawn", "2025-03-05T07:00:00Z", channel="online",
            online_level="partial", received_at="2025-03-05T06:00:00Z",
            due_at="2025-03-08T06:00:00Z"),
]  # fmt: skip

PAYMENT_EVENTS: list[PaymentEvent] = [
    payment("p1-i", "P1", "initiated", "2025-03-05T01:00:00Z", "qr", 50000),
    payment("p1-s", "P1", "succeeded", "2025-03-05T01:01:00Z", "qr", 50000),
    payment("p1-s", "P1", "succeeded", "2025-03-05T01:01:00Z", "qr", 50000),
    payment("p2-s", "P2", "succeeded", "2025-03-05T02:00:00Z", "cash", 30000),
    payment("p3-f", "P3", "failed", "2025-03-04T16:59:59Z", "card", 20000),
    payment("p3-s", "P3", "succeeded", "2025-03-04T17:00:00Z", "card", 20000),
    payment("p4-s", "P4", "succeeded", "2025-03-05T03:00:00Z", "ewallet", 10000),
    payment("p4-r", "P4", "refunded", "2025-03-05T05:00:00Z", "ewallet", 10000),
]

PORTAL_EVENTS: list[PortalEvent] = [
    portal("s1-a", "session_started", "2025-03-05T01:00:00Z", session_id="s1"),
    portal("s1-a", "session_started", "2025-03-05T01:00:00Z", session_id="s1"),
    portal("s1-b", "session_started", "2025-03-05T01:30:00Z", session_id="s1"),
    portal("s2-a", "session_started", "2025-03-04T16:59:59Z", session_id="s2"),
    portal("sub-1", "submission_completed", "2025-03-05T02:00:00Z", agency_code=AG1),
    portal("sub-1", "submission_completed", "2025-03-05T02:00:00Z", agency_code=AG1),
    portal("sub-2", "submission_completed", "2025-03-05T02:10:00Z", agency_code=AG1),
    portal("rt-1", "rating_submitted", "2025-03-05T03:00:00Z", agency_code=AG1, rating=5),
    portal("rt-2", "rating_submitted", "2025-03-05T03:01:00Z", agency_code=AG1, rating=3),
    portal("rt-3", "rating_submitted", "2025-03-05T03:02:00Z", agency_code=AG1, rating=4),
    portal("rt-3", "rating_submitted", "2025-03-05T03:02:00Z", agency_code=AG1, rating=4),
]

_STATE_DEFAULTS: dict[str, Any] = {
    "procedure_code": "P1", "procedure_name": "Thủ tục 1", "field_code": "DKDN",
    "agency_code": AG1, "agency_name": "Agency 1", "area_code": AR1, "area_name": "Area 1",
    "channel": "direct", "online_level": "none", "applicant_type": "citizen",
    "received_event_at": None, "received_at": None, "due_at": None,
    "first_resolved_event_at": None, "resolved_at": None, "closed": 0, "closed_at": None,
}  # fmt: skip


def state(dossier_id: str, status: str, last: str, version: int, **fields: Any) -> dict[str, Any]:
    values = {"dossier_id": dossier_id, "status": status, **_STATE_DEFAULTS}
    values.update({k: naive(v) if isinstance(v, str) and k.endswith("_at") else v
                   for k, v in fields.items()})  # fmt: skip
    values["last_event_ms"] = epoch_ms(utc(last))
    values["version"] = version
    return values


#: The dossier rule of contract.md applied by hand to DOSSIER_EVENTS (what workers must write).
EXPECTED_STATE: list[dict[str, Any]] = [
    state("D1", "returned", "2025-03-06T02:00:00Z", 3, channel="online", online_level="full",
          received_event_at="2025-03-04T16:59:59Z", received_at="2025-03-04T16:59:59Z",
          due_at="2025-03-06T10:00:00Z", first_resolved_event_at="2025-03-05T17:00:00Z",
          resolved_at="2025-03-05T16:59:59Z", closed=1, closed_at="2025-03-05T17:00:00Z"),
    state("D2", "resolved", "2025-03-06T09:00:00Z", 3,
          received_event_at="2025-03-04T17:00:00Z", received_at="2025-03-04T17:00:00Z",
          due_at="2025-03-07T09:00:00Z", first_resolved_event_at="2025-03-06T09:00:00Z",
          resolved_at="2025-03-06T09:00:00Z", closed=1, closed_at="2025-03-06T09:00:00Z"),
    state("D3", "in_progress", "2025-03-05T03:00:00Z", 2, procedure_code="P2", agency_code=AG2,
          area_code=AR2, channel="online", online_level="partial",
          received_event_at="2025-03-05T02:00:00Z", received_at="2025-03-05T02:00:00Z",
          due_at="2025-03-05T05:00:00Z"),
    state("D4", "in_progress", "2025-03-05T03:00:00Z", 2, agency_code=AG2, area_code=AR2,
          channel="online", online_level="full", received_event_at="2025-03-05T03:00:00Z",
          received_at="2025-03-05T03:00:00Z", due_at=FAR_FUTURE),
    state("D5", "resolved", "2025-03-05T09:00:00Z", 3,
          received_event_at="2025-03-05T04:00:00Z", received_at="2025-03-05T04:00:00Z",
          due_at="2025-03-05T06:00:00Z", first_resolved_event_at="2025-03-05T08:00:00Z",
          resolved_at="2025-03-05T08:00:00Z", closed=1, closed_at="2025-03-05T08:00:00Z"),
    state("D6", "submitted", "2025-03-05T05:00:00Z", 1),
    state("D7", "withdrawn", "2025-03-05T07:00:00Z", 2, channel="online", online_level="partial",
          received_event_at="2025-03-05T06:00:00Z", received_at="2025-03-05T06:00:00Z",
          due_at="2025-03-08T06:00:00Z", closed=1, closed_at="2025-03-05T07:00:00Z"),
]  # fmt: skip


def insert(backend: Backend, spec: TableSpec, rows: list[tuple[Any, ...]]) -> None:
    if backend.one_database:
        columns = ", ".join(spec.column_names)
        sql = f"INSERT INTO {backend.database}.{spec.name} ({columns}) VALUES"
    else:
        sql = spec.insert_sql(backend.database)
    backend.client.execute(sql, rows)


def worker_kpi_rows() -> dict[TableSpec, list[tuple[Any, ...]]]:
    """The dossier KPI and business-registration rows a worker writes for DOSSIER_EVENTS
    (streams/dossier/kpis.py, business.py), one event per batch in arrival order; the tables
    keep the highest version of each."""
    states: dict[str, DossierState] = {}
    rows: dict[TableSpec, list[tuple[Any, ...]]] = {
        DOSSIER_KPI_MINUTE: [],
        DOSSIER_KPI_DAILY: [],
        BUSINESS_REGISTRATION_DAILY: [],
    }
    for event in DOSSIER_EVENTS:
        state = states.setdefault(event.dossier_id, DossierState(event.dossier_id))
        was_listed = business_cell(state) is not None
        merge(state, event)
        for row in kpi_rows(state):
            spec = DOSSIER_KPI_MINUTE if row.cell.grain == "minute" else DOSSIER_KPI_DAILY
            rows[spec].append(row.as_tuple())
        rows[BUSINESS_REGISTRATION_DAILY] += business_rows(state, was_listed)
    return rows


def load_crafted(backend: Backend, *, kpis: bool = True, business: bool = True) -> None:
    """Insert the raw events (one INSERT per event: arrival order) and the workers' state
    and, unless the schema predates them (`kpis=False`), the workers' dossier KPIs, and
    (unless `business=False`: before migration 030) their business-registration rows."""
    now = datetime.now(UTC).replace(microsecond=0)
    for offset, event in enumerate([*DOSSIER_EVENTS, *PAYMENT_EVENTS, *PORTAL_EVENTS]):
        spec, row = raw_row(event, partition=0, offset=offset, ingested_at=now)
        insert(backend, spec, [row])
    for expected in EXPECTED_STATE:
        row = row_from_mapping(DOSSIER_STATE, {**expected, "updated_at": now})
        insert(backend, DOSSIER_STATE, [row])
        if kpis and expected["received_event_at"] is not None:
            insert(backend, DOSSIER_OPEN, [row])  # the workers write received dossiers here
    for spec, rows in (worker_kpi_rows() if kpis else {}).items():
        if business or spec is not BUSINESS_REGISTRATION_DAILY:
            insert(backend, spec, rows)

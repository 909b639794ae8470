"""A small, known data set in the schema engineer's tables, for the dashboards' live proof.

Rows go straight into the tables the read-API views compute from (not through Kafka): the
proof is about the queries, and the views' own correctness is proven in tests/integration/db.
Every panel should find something: dossiers resolved on time and late today, open ones
overdue, payments by cash and QR with a failing provider, ratings today and a better
baseline, a firing alert, a dead letter and a source that went quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cityops.contract import DOSSIER
from cityops.db import tables as t
from cityops.db.dossier_history import backfill_business_history, backfill_dossier_history
from cityops.db.migrate import load_reference, migrate
from cityops.db.open_dossiers import backfill_open
from cityops.reference import load_reference as read_reference
from cityops.settings import REFERENCE_DIR

FAILING_PROVIDER = "vnpay"
QUIET_SOURCE = "egov-dossier-namdinh"
LATE_AGENCY = "STP"


def _default(column: t.Column, now: datetime) -> Any:
    if column.nullable:
        return None
    if column.type.startswith("DateTime"):
        return now
    if column.type.startswith(("UInt", "Int")):
        return 0
    if column.type.startswith("Float"):
        return 0.0
    return ""


def row(spec: t.TableSpec, now: datetime, **fields: Any) -> tuple[Any, ...]:
    unknown = set(fields) - set(spec.column_names)
    assert not unknown, f"{spec.name} has no columns {unknown}"
    return tuple(fields.get(c.name, _default(c, now)) for c in spec.columns)


def _dossier(now: datetime, n: int, agency: str, **fields: Any) -> tuple[Any, ...]:
    base: dict[str, Any] = {
        "dossier_id": f"D{agency}{n:03d}",
        "procedure_code": "2.000908",
        "procedure_name": "Cấp phiếu lý lịch tư pháp",
        "field_code": "LLTP",
        "agency_code": agency,
        "agency_name": agency,
        "area_code": "356",
        "area_name": "Thành phố Nam Định",
        "channel": "online",
        "online_level": "full",
        "applicant_type": "citizen",
        "received_event_at": now - timedelta(minutes=3),
        "received_at": now - timedelta(hours=30),
        "version": 2,
        "updated_at": now,
    }
    base.update(fields)
    return row(t.DOSSIER_STATE, now, **base)


def sample_rows(now: datetime) -> dict[t.TableSpec, list[tuple[Any, ...]]]:
    """The data set, relative to `now` (UTC) so that "today" panels find it."""
    minute = timedelta(minutes=1)
    resolved = {"status": "resolved", "closed": 1, "first_resolved_event_at": now - minute}
    dossiers = [
        _dossier(
            now,
            1,
            "SKHDT",
            field_code="DKDN",
            procedure_code="1.001612",
            due_at=now + timedelta(days=1),
            resolved_at=now - minute,
            closed_at=now - minute,
            **resolved,
        ),
        *(
            _dossier(
                now,
                n,
                LATE_AGENCY,
                channel="direct",
                online_level="none",
                due_at=now - timedelta(hours=2),
                resolved_at=now - minute,
                **resolved,
            )
            for n in range(12)
        ),
        _dossier(now, 1, "SXD", status="in_progress", due_at=now - timedelta(hours=3)),
        _dossier(now, 2, "SXD", status="received", due_at=now + timedelta(days=3)),
    ]
    payments = [
        row(
            t.PAYMENT_EVENTS,
            now,
            event_id=f"P{n}-{status}",
            event_type=f"payment.{status}",
            occurred_at=now - minute,
            occurred_ms=int((now - minute).timestamp() * 1000),
            source="paygov-webhook",
            payment_id=f"P{n}",
            status=status,
            method=method,
            amount_vnd=50_000,
            fee_type="fee",
            agency_code="SKHDT",
            area_code="36",
            provider=provider,
            failure_reason="timeout" if status == "failed" else None,
            ingested_at=now,
        )
        for n, (status, method, provider) in enumerate(
            [("succeeded", "cash", "desk"), ("succeeded", "qr", "napas")]
            + [("failed", "ewallet", FAILING_PROVIDER)] * 12
        )
    ]
    portal = [
        row(
            t.PORTAL_EVENTS,
            at,
            event_id=f"R{n}-{at.timestamp():.0f}",
            event_type="portal.rating_submitted",
            occurred_at=at,
            source="portal",
            kind="rating_submitted",
            session_id=f"S{n}",
            agency_code=LATE_AGENCY,
            rating=rating,
            device="mobile",
            ingested_at=at,
        )
        for at, rating in ((now - minute, 2), (now - timedelta(days=3), 5))
        for n in range(12)
    ] + [
        row(
            t.PORTAL_EVENTS,
            now,
            event_id="S-1",
            event_type="portal.session_started",
            occurred_at=now - minute,
            source="portal",
            kind="session_started",
            session_id="S-1",
            device="desktop",
            ingested_at=now,
        )
    ]
    quiet = now - timedelta(hours=1)
    events = [
        row(
            t.DOSSIER_EVENTS,
            now,
            event_id="E1",
            event_type="dossier.received",
            occurred_at=quiet,
            source=QUIET_SOURCE,
            dossier_id="DSXD001",
            status="received",
            agency_code="SXD",
            area_code="356",
            ingested_at=quiet,
        )
    ]
    alerts = [
        row(
            t.ALERTS,
            now,
            event_id="A1",
            event_type="alert.firing",
            occurred_at=now,
            source="streams",
            alert_id="dossier_overdue:DSXD001",
            kind="dossier_overdue",
            severity="critical",
            state="firing",
            subject="DSXD001",
            agency_code="SXD",
            message="Hồ sơ DSXD001 quá hạn",
            message_en="Dossier DSXD001 is overdue",
            opened_at=now - timedelta(hours=3),
            version=1,
        ),
        # A bad morning at one agency: 12 dossiers overdue, 3 of them in the last hour; it
        # must page once ("SKHDT: 12 ..., 3 new"), not twelve times.
        *(
            row(
                t.ALERTS,
                now,
                event_id=f"A-SKHDT-{n}",
                event_type="alert.firing",
                occurred_at=now,
                source="streams",
                alert_id=f"dossier_overdue:DSKHDT{n:03d}",
                kind="dossier_overdue",
                severity="critical",
                state="firing",
                subject=f"DSKHDT{n:03d}",
                agency_code="SKHDT",
                message="Hồ sơ quá hạn",
                message_en="Dossier overdue",
                opened_at=now - timedelta(minutes=10 if n < 3 else 180),
                version=1,
            )
            for n in range(12)
        ),
        # Raised while a worker caught up on a backlog (backlog=1): on the dashboards, never
        # paged and not counted as a page.
        row(
            t.ALERTS,
            now,
            event_id="A-STP-backlog",
            event_type="alert.firing",
            occurred_at=now,
            source="streams",
            alert_id="dossier_overdue:DSTP001",
            kind="dossier_overdue",
            severity="critical",
            state="firing",
            subject="DSTP001",
            agency_code="STP",
            message="Hồ sơ quá hạn",
            message_en="Dossier overdue",
            opened_at=now - timedelta(minutes=5),
            version=1,
            backlog=1,
        ),
    ]
    deadletters = [
        row(
            t.DEADLETTERS,
            now,
            source="egov-dossier-namdinh",
            reason="unknown status 11",
            stage="connector",
            topic=DOSSIER.base,
            at=now - minute,
            original="{}",
            ingested_at=now,
        )
    ]
    lag = [
        row(
            t.CONSUMER_LAG,
            now,
            worker="dossier",
            topic="cityops.dossier.v1",
            partition=0,
            lag=5,
            committed=10,
            end_offset=15,
            at=now,
        )
    ]
    sinks = [
        row(
            t.SINK_HEALTH,
            now,
            worker="w1",
            sink_table="dossier_events",
            topic="cityops.dossier.v1",
            waiting_seconds=300.0,
            stuck=1,
            at=now,
        )
    ]
    return {
        t.SINK_HEALTH: sinks,
        t.DOSSIER_STATE: dossiers,
        t.PAYMENT_EVENTS: payments,
        t.PORTAL_EVENTS: portal,
        t.DOSSIER_EVENTS: events,
        t.ALERTS: alerts,
        t.DEADLETTERS: deadletters,
        t.CONSUMER_LAG: lag,
    }


def load_sample(client: Any, database: str, now: datetime) -> None:
    """Create the schema with the project's migrations, then load reference and sample rows."""
    migrate(client, database)
    load_reference(client, database, read_reference(REFERENCE_DIR))
    for spec, rows in sample_rows(now).items():
        # Row tuples, not inline VALUES: ClickHouse 18.16 stalls on inline VALUES over TCP.
        client.execute(spec.insert_sql(database), rows)
    # The dossier KPIs, open dossiers and business registrations the workers would write
    # for these states.
    backfill_dossier_history(client, database)
    backfill_open(client, database)
    backfill_business_history(client, database)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def today_local(now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture
def loaded(settings: Any, now: datetime) -> Iterator[str]:
    """The `settings` fixture's private database, migrated and loaded; yields its name."""
    from cityops.db.client import make_client

    client = make_client(settings.clickhouse, migrator=True)
    try:
        load_sample(client, settings.clickhouse.database, now)
    finally:
        client.disconnect()
    yield settings.clickhouse.database

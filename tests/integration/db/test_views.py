"""The read API counts exactly as contract.md says, on ClickHouse 18.16 and on current ClickHouse.

The crafted data (conftest.py) holds duplicates, out-of-order arrivals, a due-date extension,
two events in one millisecond and events one second either side of local midnight.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cityops.contract import AlertEvent, DeadLetter
from cityops.db.tables import ALERTS, CONSUMER_LAG, DEADLETTERS, SINK_HEALTH, views_database
from streams.sink import SinkMetrics
from streams.sink.rows import alert_row, consumer_lag_row, deadletter_row, sink_health_rows

from .conftest import AG1, AG2, AR1, AR2, FAR_FUTURE, Backend, insert, load_crafted, naive

D4, D5, D6 = date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6)


def _plain(value: Any) -> Any:
    """A DateTime typed with an explicit zone comes back aware: compare as naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def select(backend: Backend, sql: str) -> list[tuple[Any, ...]]:
    rows = backend.client.execute(sql.format(db=views_database(backend.database)))
    return sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)


def test_dossier_daily_counts_by_local_day(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT day, agency_code, area_code, received, online_received, full_online_received, "
        "resolved, resolved_on_time, resolved_late, avg_processing_hours FROM {db}.v_dossier_daily",
    )
    assert rows == sorted(
        [
            (D4, AG1, AR1, 1, 1, 1, 0, 0, 0, None),  # D1 at 23:59:59 local
            (D5, AG1, AR1, 3, 1, 0, 1, 0, 1, 4.0),  # D2 at 00:00:00 local, D5 late, D7
            (D5, AG2, AR2, 2, 2, 1, 0, 0, 0, None),  # D3, D4 (latest event's agency)
            (D6, AG1, AR1, 0, 0, 0, 2, 2, 0, 32.0),  # D1 at local midnight, D2 on time
        ],
        key=repr,
    )


def test_dossier_open_lists_received_unclosed_dossiers(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT dossier_id, agency_code, area_code, procedure_code, status, received_at, due_at, "
        "is_overdue, hours_overdue > 0 FROM {db}.v_dossier_open",
    )
    assert rows == [
        ("D3", AG2, AR2, "P2", "in_progress", naive("2025-03-05T02:00:00Z"),
         naive("2025-03-05T05:00:00Z"), 1, 1),
        ("D4", AG2, AR2, "P1", "in_progress", naive("2025-03-05T03:00:00Z"),
         naive(FAR_FUTURE), 0, 0),
    ]  # fmt: skip


def test_dossier_minute_adds_up_to_the_day(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT minute, received, resolved FROM {db}.v_dossier_minute "
        "WHERE agency_code = 'AG1' AND minute < toDateTime('2025-03-05 00:00:00', 'UTC')",
    )
    assert rows == [(naive("2025-03-04T16:59:00Z"), 1, 0), (naive("2025-03-04T17:00:00Z"), 1, 0)]


def test_payment_daily_counts_distinct_payments(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT day, agency_code, area_code, initiated, succeeded, failed, refunded, amount_vnd, "
        "cashless_succeeded, cashless_amount_vnd FROM {db}.v_payment_daily",
    )
    assert rows == [
        (D4, AG1, AR1, 0, 0, 1, 0, 0, 0, 0),  # P3 failed at 23:59:59 local
        (D5, AG1, AR1, 1, 4, 0, 1, 110000, 3, 80000),  # P1 twice counts once; P2 is cash
    ]
    minute = select(
        backend,
        "SELECT succeeded, amount_vnd FROM {db}.v_payment_minute "
        "WHERE minute = toDateTime('2025-03-05 01:01:00', 'UTC')",
    )
    assert minute == [(1, 50000)]


def test_portal_daily_counts_sessions_and_distinct_events(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT day, agency_code, sessions, submissions_completed, ratings, satisfied_ratings "
        "FROM {db}.v_portal_daily",
    )
    assert rows == sorted(
        [(D4, "", 1, 0, 0, 0), (D5, "", 1, 0, 0, 0), (D5, AG1, 0, 2, 3, 2)], key=repr
    )
    ratings = select(
        backend, "SELECT sum(ratings), sum(satisfied_ratings) FROM {db}.v_portal_minute"
    )
    assert ratings == [(3, 2)]


def _alert(state: str, at: str, opened: str, **extra: Any) -> AlertEvent:
    return AlertEvent.build(
        event_id=f"alert-{state}-{at}", event_type=f"alert.{state}", occurred_at=at,
        source="alerts-worker", alert_id="dossier_overdue:D3", kind="dossier_overdue",
        severity="warning", state=state, subject="D3", agency_code=AG2, message="Hồ sơ D3 quá hạn",
        opened_at=opened, **extra,
    )  # fmt: skip


def test_alerts_show_the_latest_state_per_opening(backend: Backend) -> None:
    opened, reopened = "2025-03-05T05:00:00Z", "2025-03-06T05:00:00Z"
    rows = [
        alert_row(_alert("resolved", "2025-03-05T07:00:00Z", opened,
                         resolved_at="2025-03-05T07:00:00Z")),
        alert_row(_alert("firing", "2025-03-05T05:00:00Z", opened)),  # older, arrives later
        alert_row(_alert("firing", "2025-03-06T05:00:00Z", reopened)),
    ]  # fmt: skip
    for row in rows:
        insert(backend, ALERTS, [row])
    result = select(backend, "SELECT alert_id, state, opened_at, resolved_at FROM {db}.v_alerts")
    assert result == [
        ("dossier_overdue:D3", "firing", naive(reopened), None),
        ("dossier_overdue:D3", "resolved", naive(opened), naive("2025-03-05T07:00:00Z")),
    ]


def test_pipeline_health_per_source_and_topic(backend: Backend) -> None:
    load_crafted(backend)
    now = datetime.now(UTC).replace(microsecond=0)
    letter = DeadLetter(
        source="paygov-test", reason="invalid JSON", original_b64=base64.b64encode(b"{").decode(),
        original_text="{", at=now, topic="t0123.cityops.payment.v1",
    )  # fmt: skip
    other = letter.model_copy(update={"reason": "missing payment_id"})
    for row in (deadletter_row(letter), deadletter_row(letter), deadletter_row(other)):
        insert(backend, DEADLETTERS, [row])
    topic = "t0123.cityops.dossier.v1"
    for row in (
        consumer_lag_row("kpi", topic, 0, committed=0, end_offset=100, at=now - timedelta(1)),
        consumer_lag_row("kpi", topic, 0, committed=95, end_offset=100, at=now),
        consumer_lag_row("kpi", topic, 1, committed=3, end_offset=10, at=now),
        consumer_lag_row("alerts", topic, 0, committed=97, end_offset=100, at=now),
    ):
        insert(backend, CONSUMER_LAG, [row])
    stuck = SinkMetrics(waiting_seconds={"payment_events": 400.0, "alerts": 3.0})
    recovered = SinkMetrics()
    insert(backend, SINK_HEALTH, sink_health_rows("w1", stuck, 120, at=now - timedelta(1)))
    insert(backend, SINK_HEALTH, sink_health_rows("w1", stuck, 120, at=now))  # the latest
    insert(backend, SINK_HEALTH, sink_health_rows("w2", recovered, 120, at=now))
    rows = select(
        backend,
        "SELECT source, topic, last_occurred_at, events_5m, deadletters, consumer_lag, "
        "sink_stuck, sink_waiting_seconds FROM {db}.v_pipeline_health",
    )
    assert rows == sorted(
        [
            ("egov-test", "cityops.dossier.v1", naive("2025-03-06T09:00:00Z"), 16, 0, 12, 0, 0),
            ("paygov-test", "cityops.payment.v1", naive("2025-03-05T05:00:00Z"), 7, 2, None,
             1, 400.0),
            ("portal-test", "cityops.portal.v1", naive("2025-03-05T03:02:00Z"), 8, 0, None, 0, 0),
        ],
        key=repr,
    )  # fmt: skip


def test_business_registration_lists_resolved_dkdn_dossiers(backend: Backend) -> None:
    load_crafted(backend)
    rows = select(
        backend,
        "SELECT dossier_id, day, processing_hours, within_due FROM {db}.v_business_registration",
    )
    assert rows == [("D1", D6, 24.0, 1), ("D2", D6, 40.0, 1), ("D5", D5, 4.0, 0)]

"""Row builders: every contract field lands in its column, in the table's column order."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from cityops.contract import AlertEvent, DeadLetter, DossierEvent, PaymentEvent, PortalEvent
from cityops.db.tables import (
    ALERTS,
    DEADLETTERS,
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    INGEST_COLUMNS,
    PAYMENT_EVENTS,
    PORTAL_EVENTS,
)
from streams.sink.rows import (
    alert_row,
    consumer_lag_row,
    deadletter_row,
    epoch_ms,
    raw_row,
    row_from_mapping,
)

T0 = datetime(2025, 3, 4, 16, 59, 59, 123000, tzinfo=UTC)
INGESTED = datetime(2025, 3, 4, 17, 0, 5, tzinfo=UTC)


def dossier(**overrides: object) -> DossierEvent:
    fields: dict[str, object] = {
        "event_id": "d-1-received",
        "occurred_at": "2025-03-04T23:59:59.123+07:00",
        "source": "egov-test",
        "dossier_id": "D1",
        "status": "received",
        "procedure_code": "1.001612",
        "procedure_name": "Đăng ký",
        "field_code": "DKDN",
        "agency_code": "SKHDT",
        "area_code": "356",
        "channel": "online",
        "online_level": "full",
        "applicant_type": "business",
        "applicant_ref": "a" * 32,
        "received_at": "2025-03-04T16:59:59Z",
        "due_at": "2025-03-06T10:00:00Z",
    }
    fields.update(overrides)
    return DossierEvent.build(**fields)


def as_dict(spec_columns: tuple[str, ...], row: tuple[object, ...]) -> dict[str, object]:
    assert len(row) == len(spec_columns)
    return dict(zip(spec_columns, row, strict=True))


def test_dossier_row_carries_every_field_and_the_kafka_position() -> None:
    spec, row = raw_row(dossier(), partition=3, offset=42, ingested_at=INGESTED)
    assert spec is DOSSIER_EVENTS
    values = as_dict(spec.column_names, row)
    assert values["event_type"] == "dossier.received"
    assert values["status"] == "received"  # the bare string, not the enum's repr
    assert values["channel"] == "online"
    assert values["occurred_at"] == T0
    assert values["occurred_ms"] == 1741107599123
    assert values["received_at"] == datetime(2025, 3, 4, 16, 59, 59, tzinfo=UTC)
    assert values["resolved_at"] is None
    assert (values["kafka_partition"], values["kafka_offset"]) == (3, 42)
    assert values["ingested_at"] == INGESTED


@pytest.mark.parametrize(
    ("model", "spec"),
    [(DossierEvent, DOSSIER_EVENTS), (PaymentEvent, PAYMENT_EVENTS), (PortalEvent, PORTAL_EVENTS)],
)
def test_raw_tables_have_exactly_the_contract_fields_plus_ingest_columns(
    model: type, spec: object
) -> None:
    columns = set(spec.column_names)  # type: ignore[attr-defined]
    assert columns - INGEST_COLUMNS == set(model.model_fields)


def test_alert_table_has_the_alert_fields() -> None:
    assert set(ALERTS.column_names) == set(AlertEvent.model_fields)


def test_payment_and_portal_rows_keep_nulls() -> None:
    payment = PaymentEvent.build(
        event_id="p1",
        occurred_at="2025-03-04T10:00:00Z",
        source="paygov",
        payment_id="P1",
        status="failed",
        method="qr",
        amount_vnd=50000,
        fee_type="fee",
        agency_code="SKHDT",
        area_code="356",
        failure_reason=None,
    )
    spec, row = raw_row(payment, 0, 7, INGESTED)
    values = as_dict(spec.column_names, row)
    assert values["dossier_id"] is None and values["failure_reason"] is None
    assert values["method"] == "qr" and values["amount_vnd"] == 50000

    portal = PortalEvent.build(
        event_id="s1", occurred_at="2025-03-04T10:00:00Z", source="portal",
        kind="rating_submitted", rating=5, device="mobile",
    )  # fmt: skip
    spec, row = raw_row(portal, 1, 1, INGESTED)
    values = as_dict(spec.column_names, row)
    assert spec is PORTAL_EVENTS
    assert values["rating"] == 5 and values["session_id"] is None and values["device"] == "mobile"


def test_alert_version_defaults_to_the_change_time_in_ms() -> None:
    alert = AlertEvent.build(
        event_id="a1",
        occurred_at="2025-03-04T10:00:00.5Z",
        source="alerts-worker",
        event_type="alert.firing",
        alert_id="dossier_overdue:D1",
        kind="dossier_overdue",
        severity="warning",
        state="firing",
        subject="D1",
        message="Hồ sơ D1 quá hạn",
        opened_at="2025-03-04T10:00:00Z",
    )
    values = as_dict(ALERTS.column_names, alert_row(alert))
    assert values["version"] == epoch_ms(alert.occurred_at) == 1741082400500
    assert values["state"] == "firing" and values["resolved_at"] is None
    assert as_dict(ALERTS.column_names, alert_row(alert, version=9))["version"] == 9


def test_alert_version_and_backlog_are_the_workers_when_it_sets_them() -> None:
    alert = AlertEvent.build(
        event_id="a2", occurred_at="2025-03-04T10:00:00Z", source="w", alert_id="x:D1",
        kind="dossier_overdue", severity="critical", state="resolved", subject="D1",
        message="m", opened_at="2025-03-04T10:00:00Z", resolved_at="2025-03-04T10:00:00Z",
        version=1800000000000, backlog=True,
    )  # fmt: skip
    values = as_dict(ALERTS.column_names, alert_row(alert))
    assert values["version"] == 1800000000000 and values["backlog"] == 1


def test_deadletter_row_restores_the_original_bytes() -> None:
    original = b'{"broken": \xff'
    letter = DeadLetter(
        source="webhook",
        reason="invalid JSON",
        original_b64=base64.b64encode(original).decode(),
        original_text=original.decode("utf-8", errors="replace"),
        at=datetime(2025, 3, 4, tzinfo=UTC),
        topic="cityops.payment.v1",
    )
    values = as_dict(DEADLETTERS.column_names, deadletter_row(letter, INGESTED))
    assert values["original"] == original
    assert values["topic"] == "cityops.payment.v1" and values["stage"] == "connector"


def test_consumer_lag_is_never_negative_and_counts_all_when_nothing_committed() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert consumer_lag_row("w", "t", 0, committed=10, end_offset=15, at=at)[3] == 5
    assert consumer_lag_row("w", "t", 0, committed=20, end_offset=15, at=at)[3] == 0
    assert consumer_lag_row("w", "t", 0, committed=-1, end_offset=15, at=at)[3] == 15


def test_row_from_mapping_names_missing_and_unknown_columns() -> None:
    state = dict.fromkeys(DOSSIER_STATE.column_names, None)
    assert row_from_mapping(DOSSIER_STATE, state) == tuple(state.values())
    del state["version"]
    state["verison"] = 1
    with pytest.raises(ValueError, match=r"missing columns \['version'\].*\['verison'\]"):
        row_from_mapping(DOSSIER_STATE, state)


def test_epoch_ms_is_exact_for_naive_utc_and_aware() -> None:
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 0, 1000)) == 1
    assert epoch_ms(datetime(2038, 1, 19, 3, 14, 8, 999000, tzinfo=UTC)) == 2147483648999

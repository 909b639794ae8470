"""Bounds at the edge (issue 8, items 1 and 4): one definition, applied by the models, the
dossier mapping, `parse_local` and the worker's decode step; reasons never quote the value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from cityops.contract import PAYMENT, PaymentEvent, PortalEvent, bounds
from cityops.contract.bounds import OutOfBounds, TimeWindow
from cityops.settings import Settings
from cityops.timeutil import parse_local
from connectors.dossier.mapping import FieldNames, map_record
from connectors.dossier.samples import sync_record
from connectors.sdk.connector import Rejected
from streams.codec import decode


def payment(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": "pay-1",
        "event_type": "payment.succeeded",
        "occurred_at": "2026-03-02T01:00:00Z",
        "source": "gateway-test",
        "payment_id": "pay-1",
        "status": "succeeded",
        "method": "qr",
        "amount_vnd": 50_000,
        "fee_type": "fee",
        "agency_code": "SKHDT",
        "area_code": "36",
    }
    return {**fields, **changes}


def rejects(model: type, fields: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(fields))
    return "; ".join(e["msg"] for e in caught.value.errors())


def mapped(**changes: Any) -> Any:
    record = sync_record("HS-1", 2, "20260302080000", **changes)
    return map_record(
        record, source="egov-test", fields=FieldNames(), hash_id=lambda r, t: "h" * 16
    )


@pytest.fixture
def window() -> Iterator[None]:
    """Puts the process-wide window back after a test that configures its own."""
    before = bounds.active_window()
    yield
    bounds.configure(before)


def test_year_2200_timestamp_is_rejected_by_the_contract() -> None:
    reason = rejects(PaymentEvent, payment(occurred_at="2200-01-01T00:00:00Z"))
    assert "outside the accepted window" in reason and "2200" not in reason


def test_timestamps_before_2000_are_rejected_and_the_window_edges_pass() -> None:
    rejects(PaymentEvent, payment(occurred_at="1999-12-31T23:59:59Z"))
    PaymentEvent.model_validate(payment(occurred_at="2000-01-01T00:00:00Z"))
    soon = datetime.now(UTC) + timedelta(days=300)
    PaymentEvent.model_validate(payment(occurred_at=soon.isoformat()))


def test_amount_vnd_true_is_not_counted_as_1_vnd() -> None:
    assert "boolean" in rejects(PaymentEvent, payment(amount_vnd=True))
    assert PaymentEvent.model_validate(payment(amount_vnd=1)).amount_vnd == 1


def test_a_boolean_rating_is_not_a_rating() -> None:
    fields = {
        "event_id": "r-1",
        "event_type": "portal.rating_submitted",
        "occurred_at": "2026-03-02T01:00:00Z",
        "source": "portal-test",
        "kind": "rating_submitted",
        "rating": True,
        "device": "mobile",
    }
    assert "boolean" in rejects(PortalEvent, fields)


@pytest.mark.parametrize(
    "code", ["=1+1", '=HYPERLINK("http://x")', "SKH DT", "SKH\u0661", "\u0663\u0666", "", "-X"]
)
def test_codes_must_match_the_documented_pattern(code: str) -> None:
    rejects(PaymentEvent, payment(agency_code=code))
    rejects(PaymentEvent, payment(area_code=code))


@pytest.mark.parametrize("code", ["SKHDT", "UBND-356", "36", "1.001612", "G22.34_A"])
def test_reference_codes_match_the_pattern(code: str) -> None:
    assert PaymentEvent.model_validate(payment(agency_code=code)).agency_code == code


@pytest.mark.parametrize("status", [" 2 ", "\u0662", "\u06f2", "2.0", True, "02x"])
def test_status_with_spaces_or_arabic_indic_digits_is_not_2(status: object) -> None:
    with pytest.raises(Rejected) as caught:
        mapped(TrangThaiHoSo=status)
    assert caught.value.kind == "unknown_TrangThaiHoSo"


def test_status_as_ascii_text_or_number_is_still_2() -> None:
    assert mapped(TrangThaiHoSo="2").status == mapped(TrangThaiHoSo=2).status == "received"


@pytest.mark.parametrize(
    "text", ["2026-W01-1", "2026-001", "2026W011", "\u0662\u0660\u0662\u0666-01-01"]
)
def test_iso_week_and_ordinal_dates_are_not_dates(text: str) -> None:
    with pytest.raises(ValueError, match="not yyyyMMddHHmmss"):
        parse_local(text)
    with pytest.raises(Rejected) as caught:
        mapped(NgayTiepNhan=text)
    assert caught.value.kind == "bad_date" and text not in str(caught.value)


def test_ngay_tiep_nhan_1900_is_rejected_not_converted_with_local_mean_time() -> None:
    with pytest.raises(OutOfBounds):
        parse_local("19000101000000")
    with pytest.raises(Rejected) as caught:
        mapped(NgayTiepNhan="19000101000000")
    assert caught.value.kind == "date_out_of_range"
    assert "NgayTiepNhan" in str(caught.value) and "1900" not in str(caught.value)


def test_year_1_and_year_2200_source_dates_are_out_of_range_not_overflow() -> None:
    for text in ("00010101000000", "22000101000000", "99991231235959"):
        with pytest.raises(OutOfBounds):
            parse_local(text)


def test_local_dates_inside_the_window_convert_at_plus_seven() -> None:
    assert parse_local("20000101070000") == datetime(2000, 1, 1, tzinfo=UTC)
    assert parse_local("2026-03-02T08:00:00") == datetime(2026, 3, 2, 1, tzinfo=UTC)


def test_the_worker_decode_step_applies_the_same_bounds() -> None:
    bad = json.dumps(payment(occurred_at="2200-01-01T00:00:00Z")).encode()
    reason = decode(PAYMENT, bad)
    assert isinstance(reason, str) and "occurred_at" in reason and "2200" not in reason
    assert not isinstance(decode(PAYMENT, json.dumps(payment()).encode()), str)


def test_the_window_is_configurable(window: None) -> None:
    bounds.configure(
        Settings(contract={"earliest_timestamp": "1990-01-01T00:00:00Z"}).contract.window()
    )
    PaymentEvent.model_validate(payment(occurred_at="1995-06-01T00:00:00Z"))
    assert parse_local("19950601000000") == datetime(1995, 5, 31, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    "contract",
    [
        {"earliest_timestamp": "1900-01-01T00:00:00Z"},
        {"max_days_ahead": 100 * 366},
        {"max_days_ahead": 0},
    ],
)
def test_settings_refuse_a_window_clickhouse_cannot_store(contract: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(contract=contract)


def test_a_window_needs_an_aware_start() -> None:
    with pytest.raises(ValueError, match="offset"):
        TimeWindow(datetime(2000, 1, 1), timedelta(days=1))


def test_a_feed_cursor_parses_without_the_window_but_never_with_local_mean_time() -> None:
    """A cursor is a position, not an event time: the poller starts from 1970 by default."""
    assert parse_local("19700101000000", bounded=False).year == 1969  # +08:00 then, not LMT
    for text in ("19000101000000", "00010101000000"):
        with pytest.raises(OutOfBounds, match="local mean time"):
            parse_local(text, bounded=False)

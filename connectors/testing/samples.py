"""Good and bad contract-JSON records per event family, for connectors that take contract JSON.

The bad ones are the classic ways a source gets it wrong (not JSON, wrong type, unknown enum,
a timestamp without offset, an oversized field, a missing field); each must be dead-lettered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cityops.contract import DossierEvent, Envelope, PaymentEvent, PortalEvent
from connectors.sdk.connector import Samples

BASE_TIME = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def payment_fields(source: str, n: int) -> dict[str, Any]:
    return {
        "event_id": f"{source}:pay-{n:05d}:succeeded",
        "occurred_at": BASE_TIME + timedelta(minutes=n),
        "source": source,
        "payment_id": f"pay-{n:05d}",
        "dossier_id": f"000.00.36.H42-250303-{n:04d}",
        "status": "succeeded",
        "method": ["qr", "card", "cash", "ewallet", "bank_transfer"][n % 5],
        "amount_vnd": 50_000 + 1000 * n,
        "fee_type": "fee",
        "agency_code": "SKHDT",
        "area_code": "356",
        "provider": "VNPay",
    }


def portal_fields(source: str, n: int) -> dict[str, Any]:
    rating = n % 7 == 3
    return {
        "event_id": f"{source}:portal-{n:05d}",
        "occurred_at": BASE_TIME + timedelta(seconds=30 * n),
        "source": source,
        "kind": "rating_submitted" if rating else "session_started",
        "session_id": f"sess-{n // 2:05d}",
        "procedure_code": "1.001612",
        "agency_code": "SKHDT",
        "rating": 4 if rating else None,
        "device": ["desktop", "mobile", "kiosk"][n % 3],
    }


def dossier_fields(source: str, n: int) -> dict[str, Any]:
    received = BASE_TIME + timedelta(hours=n)
    return {
        "event_id": f"{source}:dossier-{n:05d}:received",
        "occurred_at": received,
        "source": source,
        "dossier_id": f"000.00.36.H42-250303-{n:04d}",
        "status": "received",
        "procedure_code": "1.001612",
        "field_code": "DKDN",
        "agency_code": "SKHDT",
        "area_code": "356",
        "channel": "online",
        "online_level": "full",
        "applicant_type": "business",
        "applicant_ref": f"{n:040x}",
        "received_at": received,
        "due_at": received + timedelta(days=2),
    }


FIELDS = {
    "dossier": (DossierEvent, dossier_fields),
    "payment": (PaymentEvent, payment_fields),
    "portal": (PortalEvent, portal_fields),
}


def contract_event(family: str, source: str, n: int, **overrides: Any) -> Envelope:
    model, fields = FIELDS[family]
    return model.build(**{**fields(source, n), **overrides})


def contract_samples(family: str, source: str, count: int = 6) -> Samples:
    """`count` valid events of `family` and one of each classic mistake."""
    good = [contract_event(family, source, n).to_json_bytes() for n in range(count)]
    template = json.loads(good[0])

    def variant(**changes: Any) -> bytes:
        record = {**template, **changes, "event_id": f"{source}:bad-{len(bad)}"}
        return json.dumps({k: v for k, v in record.items() if v is not ...}).encode("utf-8")

    enum_field = {"payment": "status", "dossier": "channel"}.get(family, "device")
    bad: list[bytes] = []
    bad.append(b'{"event_id": "truncated", "occurred_at": ')
    bad.append(variant(**{enum_field: "teleport"}))
    bad.append(variant(occurred_at="2025-03-03T08:00:00"))  # no offset
    bad.append(variant(agency_code="A" * 5000))
    bad.append(variant(event_type=...))
    bad.append(variant(schema_version="one"))
    return Samples(good=good, bad=bad)

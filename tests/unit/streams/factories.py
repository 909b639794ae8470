"""Dossier events for the stream unit tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from cityops.contract import DossierEvent

BASE = datetime.fromisoformat("2026-03-02T01:00:00+00:00")


def dossier_event(
    status: str,
    minutes: float,
    *,
    dossier_id: str = "D-1",
    event_id: str | None = None,
    due_days: float | None = 3,
    agency: str = "SKHDT",
    field: str = "DKDN",
    resolved_minutes: float | None = None,
) -> DossierEvent:
    at = BASE + timedelta(minutes=minutes)
    return DossierEvent.build(
        event_id=event_id or f"{dossier_id}:{status}:{minutes}",
        occurred_at=at,
        source="test",
        dossier_id=dossier_id,
        status=status,
        procedure_code="2.001610",
        field_code=field,
        agency_code=agency,
        area_code="36",
        channel="online",
        online_level="full",
        applicant_type="business",
        applicant_ref="a" * 40,
        received_at=BASE if status != "submitted" else None,
        due_at=BASE + timedelta(days=due_days) if due_days is not None else None,
        resolved_at=(BASE + timedelta(minutes=resolved_minutes))
        if resolved_minutes is not None
        else None,
    )

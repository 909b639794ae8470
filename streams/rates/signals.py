"""Signals: the small facts source agents send to the rates agent.

The rates agent must see every payment, rating and resolution of the province to compute
per-provider and per-agency rates, but the source topics are partitioned by entity. So source
agents send a compact signal to a one-partition internal topic instead of repartitioning the
full events. A signal is JSON: {"k": kind, "s": subject, "m": minute, "h": hit, "id": dedup id}.
"""

from __future__ import annotations

from typing import Any

from cityops.contract import PaymentEvent, PortalEvent
from cityops.contract.enums import AlertKind, PaymentStatus
from streams.dossier.state import DossierState

MINUTE_MS = 60_000


def on_time_signal(state: DossierState) -> dict[str, Any]:
    """A dossier's first resolution: on time or late, for its agency."""
    assert state.first_resolved_event_at is not None
    on_time = state.due_at is None or (state.resolved_at or 0) <= state.due_at
    return {
        "k": AlertKind.ON_TIME_RATE_LOW.value,
        "s": state.agency_code,
        "m": state.first_resolved_event_at // MINUTE_MS,
        # A *miss* is the hit this rule counts: the rate it watches is the late share.
        "h": not on_time,
        "id": f"{state.dossier_id}:resolved",
    }


def payment_signal(event: PaymentEvent) -> dict[str, Any] | None:
    if event.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return None
    return {
        "k": AlertKind.PAYMENT_FAILURE_SPIKE.value,
        "s": event.provider or event.method.value,
        "m": int(event.occurred_at.timestamp() * 1000) // MINUTE_MS,
        "h": event.status == PaymentStatus.FAILED,
        "id": event.event_id,
        "a": event.agency_code,
    }


def rating_signal(event: PortalEvent) -> dict[str, Any] | None:
    if event.rating is None or not event.agency_code:
        return None
    return {
        "k": AlertKind.SATISFACTION_LOW.value,
        "s": event.agency_code,
        "m": int(event.occurred_at.timestamp() * 1000) // MINUTE_MS,
        # Counted as the unsatisfied share (ratings 1-3).
        "h": event.rating < 4,
        "id": event.event_id,
    }


def seen_signal(source: str, occurred_ms: int) -> dict[str, Any]:
    return {"k": AlertKind.SOURCE_SILENT.value, "s": source, "t": occurred_ms}

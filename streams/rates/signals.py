"""Signals: the small facts source processors send to the rates processor.

The rates processor must see every payment, rating and resolution of the province to compute
per-provider and per-agency rates, but the source topics are partitioned by entity. So source
processors send compact signals to a one-partition internal topic instead of repartitioning the
full events, aggregated per batch: one JSON message per (rule, subject, minute),
{"k": kind, "s": subject, "m": minute, "h": hits, "n": total, "a": agency}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cityops.contract import PaymentEvent, PortalEvent
from cityops.contract.enums import AlertKind, PaymentStatus
from streams.dossier.state import DossierState

MINUTE_MS = 60_000


def encode_signal(signal: dict[str, Any]) -> bytes:
    return json.dumps(signal, separators=(",", ":")).encode()


def decode_signal(value: bytes | None) -> dict[str, Any] | None:
    """A signal, or None for anything that is not one (the topic is internal, but still)."""
    try:
        signal = json.loads(value or b"")
    except ValueError:
        return None
    return signal if isinstance(signal, dict) and "k" in signal else None


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
    }


def payment_signal(event: PaymentEvent) -> dict[str, Any] | None:
    if event.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return None
    return {
        "k": AlertKind.PAYMENT_FAILURE_SPIKE.value,
        "s": event.provider or event.method.value,
        "m": int(event.occurred_at.timestamp() * 1000) // MINUTE_MS,
        "h": event.status == PaymentStatus.FAILED,
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
    }


def seen_signal(source: str, occurred_ms: int) -> dict[str, Any]:
    return {"k": AlertKind.SOURCE_SILENT.value, "s": source, "t": occurred_ms}


@dataclass
class SignalBatch:
    """Signals of one batch folded per (rule, subject, minute): one message each, not one
    per event, so the rates processor's input stays small whatever the event rate."""

    counts: dict[tuple[str, str, int], list[int]] = field(default_factory=dict)
    agencies: dict[tuple[str, str, int], str] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, signal: dict[str, Any] | None) -> None:
        if signal is None:
            return
        key = (signal["k"], signal["s"], int(signal["m"]))
        bucket = self.counts.setdefault(key, [0, 0])
        bucket[0] += 1 if signal["h"] else 0
        bucket[1] += 1
        if signal.get("a"):
            self.agencies[key] = signal["a"]

    def saw(self, source: str, occurred_ms: int) -> None:
        self.seen[source] = max(self.seen.get(source, 0), occurred_ms)

    def messages(self) -> Iterator[dict[str, Any]]:
        for (kind, subject, minute), (hits, total) in self.counts.items():
            message = {"k": kind, "s": subject, "m": minute, "h": hits, "n": total}
            agency = self.agencies.get((kind, subject, minute))
            if agency:
                message["a"] = agency
            yield message
        for source, occurred in self.seen.items():
            yield seen_signal(source, occurred)

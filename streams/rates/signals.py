"""Signals: the small facts source processors send to the rates processor.

The rates processor must see every payment, rating and resolution of the province to compute
per-provider and per-agency rates, but the source topics are partitioned by entity. So source
processors send compact signals to a one-partition internal topic instead of repartitioning the
full events, aggregated per batch: one `RateSignal` per (rule, subject, minute), and one
`SeenSignal` per source with the newest event time seen. On the wire each is a JSON object
with a `type` field; anything else on the topic is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from cityops.contract import PaymentEvent, PortalEvent
from cityops.contract.enums import AlertKind, PaymentStatus
from streams.dossier.state import DossierState

MINUTE_MS = 60_000


@dataclass(frozen=True)
class RateSignal:
    """`hits` bad outcomes out of `total` for a rule's subject in one minute of event time."""

    kind: str
    subject: str
    minute: int
    hits: int
    total: int = 1
    #: The agency the subject belongs to, when the subject is not itself one (a provider).
    agency: str = ""


@dataclass(frozen=True)
class SeenSignal:
    """A source spoke; `occurred_ms` is its newest event time in the batch."""

    source: str
    occurred_ms: int


Signal = RateSignal | SeenSignal
_TYPES: dict[str, type[RateSignal] | type[SeenSignal]] = {"rate": RateSignal, "seen": SeenSignal}


def encode_signal(signal: Signal) -> bytes:
    kind = "rate" if isinstance(signal, RateSignal) else "seen"
    return json.dumps({"type": kind, **asdict(signal)}, separators=(",", ":")).encode()


def decode_signal(value: bytes | None) -> Signal | None:
    """A signal, or None for anything that is not one (the topic is internal, but still)."""
    try:
        data = json.loads(value or b"")
        cls = _TYPES[data.pop("type")]
        return cls(**data)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def on_time_signal(state: DossierState) -> RateSignal:
    """A dossier's first resolution: on time or late, for its agency."""
    assert state.first_resolved_event_at is not None
    on_time = state.due_at is None or (state.resolved_at or 0) <= state.due_at
    return RateSignal(
        kind=AlertKind.ON_TIME_RATE_LOW.value,
        subject=state.agency_code,
        minute=state.first_resolved_event_at // MINUTE_MS,
        # A *miss* is the hit this rule counts: the rate it watches is the late share.
        hits=0 if on_time else 1,
    )


def payment_signal(event: PaymentEvent) -> RateSignal | None:
    if event.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return None
    return RateSignal(
        kind=AlertKind.PAYMENT_FAILURE_SPIKE.value,
        subject=event.provider or event.method.value,
        minute=int(event.occurred_at.timestamp() * 1000) // MINUTE_MS,
        hits=1 if event.status == PaymentStatus.FAILED else 0,
        agency=event.agency_code or "",
    )


def rating_signal(event: PortalEvent) -> RateSignal | None:
    if event.rating is None or not event.agency_code:
        return None
    return RateSignal(
        kind=AlertKind.SATISFACTION_LOW.value,
        subject=event.agency_code,
        minute=int(event.occurred_at.timestamp() * 1000) // MINUTE_MS,
        # Counted as the unsatisfied share (ratings 1-3).
        hits=1 if event.rating < 4 else 0,
    )


@dataclass
class SignalBatch:
    """Signals of one batch folded per (rule, subject, minute): one message each, not one
    per event, so the rates processor's input stays small whatever the event rate."""

    rates: dict[tuple[str, str, int], RateSignal] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, signal: RateSignal | None) -> None:
        if signal is None:
            return
        key = (signal.kind, signal.subject, signal.minute)
        folded = self.rates.get(key)
        if folded is None:
            self.rates[key] = signal
            return
        self.rates[key] = RateSignal(
            signal.kind,
            signal.subject,
            signal.minute,
            folded.hits + signal.hits,
            folded.total + signal.total,
            signal.agency or folded.agency,
        )

    def saw(self, source: str, occurred_ms: int) -> None:
        self.seen[source] = max(self.seen.get(source, 0), occurred_ms)

    def messages(self) -> Iterator[Signal]:
        yield from self.rates.values()
        for source, occurred in self.seen.items():
            yield SeenSignal(source, occurred)

"""Counters a connector exposes, so an operator can tell a quiet source from a broken one.

Delivery callbacks run on kafka-python's sender thread while the connector reads on its own,
so every update goes through one lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from cityops.timeutil import utcnow


def reason_kind(reason: str) -> str:
    """The low-cardinality part of a reason (`validation: status: ...` -> `validation`).

    Reasons carry details for the person reading the dead letter; metrics count kinds only,
    so a flood of differently-worded errors does not become a flood of counters.
    """
    head = reason.split(":", 1)[0].strip()
    return head if head and len(head) <= 40 and " " not in head else "other"


@dataclass
class ConnectorMetrics:
    sent: int = 0
    failed: int = 0
    dead_lettered: Counter[str] = field(default_factory=Counter)
    #: Requests refused before any event was read (bad signature, too large, ...).
    rejected: Counter[str] = field(default_factory=Counter)
    #: Misbehaviour of a source that is not bad input (a pull feed that does not advance,
    #: a cursor going backwards): warned about, backed off, counted here.
    source_problems: Counter[str] = field(default_factory=Counter)
    #: `occurred_at` of the last event handed to Kafka: how far behind the source we are.
    last_event_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_sent(self) -> None:
        with self._lock:
            self.sent += 1

    def record_failed(self) -> None:
        with self._lock:
            self.failed += 1

    def record_dead_letter(self, reason: str) -> None:
        with self._lock:
            self.dead_lettered[reason_kind(reason)] += 1

    def record_rejected(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason_kind(reason)] += 1

    def record_source_problem(self, kind: str) -> None:
        with self._lock:
            self.source_problems[kind] += 1

    def record_event_time(self, occurred_at: datetime) -> None:
        with self._lock:
            if self.last_event_at is None or occurred_at > self.last_event_at:
                self.last_event_at = occurred_at

    @property
    def dead_lettered_total(self) -> int:
        return sum(self.dead_lettered.values())

    def lag_seconds(self, now: datetime | None = None) -> float | None:
        """Now minus the event time of the newest event sent; None before the first one."""
        if self.last_event_at is None:
            return None
        return ((now or utcnow()) - self.last_event_at).total_seconds()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "sent": self.sent,
                "failed": self.failed,
                "dead_lettered": dict(self.dead_lettered),
                "rejected": dict(self.rejected),
                "source_problems": dict(self.source_problems),
                "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
                "lag_seconds": self.lag_seconds(),
            }

"""The ways real feeds misbehave, applied to a clean stream on request.

The stream workers must give exact figures despite re-sent events and events arriving out
of order (contract: "How each figure counts"); these functions make such streams, seeded, so
a test can check that the figures do not move. Live mode re-times a simulated day to now.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from cityops.contract import DossierEvent, Envelope
from cityops.contract.enums import DossierStatus
from connectors.simulator.identities import dossier_event_id


def with_duplicates(
    events: Sequence[Envelope], fraction: float, rng: random.Random, *, spread: int = 50
) -> list[Envelope]:
    """Re-send a `fraction` of events (same event_id, same body) a little later in the stream."""
    if fraction <= 0:
        return list(events)
    keyed: list[tuple[float, int, Envelope]] = []
    for index, event in enumerate(events):
        keyed.append((float(index), 0, event))
        if rng.random() < fraction:
            keyed.append((index + rng.uniform(0.5, spread + 0.5), 1, event))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in keyed]


def shuffled(
    events: Sequence[Envelope], window: int, rng: random.Random, *, inversions: float = 0.05
) -> list[Envelope]:
    """Displace events by up to `window` positions, and put some `resolved` before `received`.

    The random displacement rarely separates two events of one dossier that are hours apart,
    so a share of dossiers (at least one when there is any candidate) get their `resolved`
    event moved to just before their `received` event explicitly.
    """
    if window <= 0:
        return list(events)
    keys = [index + rng.uniform(0, window) for index in range(len(events))]
    received: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for index, event in enumerate(events):
        if isinstance(event, DossierEvent):
            if event.status == DossierStatus.RECEIVED:
                received[event.dossier_id] = index
            elif event.status == DossierStatus.RESOLVED:
                resolved[event.dossier_id] = index
    candidates = sorted(set(received) & set(resolved))
    if candidates:
        count = max(1, round(len(candidates) * inversions))
        for dossier in rng.sample(candidates, count):
            keys[resolved[dossier]] = keys[received[dossier]] - 1e-6
    order = sorted(range(len(events)), key=keys.__getitem__)
    return [events[index] for index in order]


class LiveClock:
    """Maps simulated time onto wall time: `now + (t - sim_start) / speedup`."""

    def __init__(self, sim_start: datetime, now: datetime, speedup: float = 1.0) -> None:
        self.sim_start = sim_start
        self.now = now.replace(microsecond=0)
        self.speedup = speedup

    def __call__(self, ts: datetime) -> datetime:
        return (self.now + (ts - self.sim_start) / self.speedup).replace(microsecond=0)


def to_live(
    events: Sequence[Envelope], clock: LiveClock, due_soon: dict[str, float]
) -> list[Envelope]:
    """Re-time every timestamp; dossiers in `due_soon` fall due that many minutes after receipt.

    Dossier event ids embed their time (as the pull adapter makes them), so they are rebuilt;
    one dossier's changes stay at least a second apart even when time is compressed.
    """
    out: list[Envelope] = []
    last_at: dict[str, datetime] = {}
    resolved: dict[str, datetime] = {}
    for event in events:
        occurred = clock(event.occurred_at)
        if not isinstance(event, DossierEvent):
            out.append(event.model_copy(update={"occurred_at": occurred}))
            continue
        previous = last_at.get(event.dossier_id)
        if previous is not None and occurred <= previous:
            occurred = previous + timedelta(seconds=1)
        last_at[event.dossier_id] = occurred
        received = clock(event.received_at) if event.received_at else None
        due = clock(event.due_at) if event.due_at else None
        minutes = due_soon.get(event.dossier_id)
        if minutes is not None and received is not None:
            due = received + timedelta(minutes=minutes)
        resolved_at = None
        if event.status == DossierStatus.RESOLVED:
            resolved_at = resolved[event.dossier_id] = occurred
        elif event.resolved_at is not None:
            resolved_at = resolved.get(event.dossier_id) or clock(event.resolved_at)
        update = {
            "occurred_at": occurred,
            "event_id": dossier_event_id(event.source, event.dossier_id, event.status, occurred),
            "received_at": received,
            "due_at": due,
            "resolved_at": resolved_at,
        }
        out.append(event.model_copy(update=update))
    return out

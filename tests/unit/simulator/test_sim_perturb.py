"""The messy-feed options (duplicates, shuffle), live mode, and the emission pacer."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from cityops.contract import DossierEvent, Envelope
from cityops.contract.enums import DossierStatus
from cityops.timeutil import TZ
from connectors.simulator import generate
from connectors.simulator.identities import source_stamp
from connectors.simulator.pacing import Pacer

DAY = date(2025, 3, 12)
S = DossierStatus


@pytest.fixture(scope="module")
def clean() -> list[Envelope]:
    return generate(day=DAY, seed=5, scale=0.3)


def test_duplicates_resend_identical_events_later(clean: list[Envelope]) -> None:
    noisy = generate(day=DAY, seed=5, scale=0.3, duplicates=0.1)
    assert {e.event_id for e in noisy} == {e.event_id for e in clean}
    extra = len(noisy) - len(clean)
    assert 0.05 * len(clean) < extra < 0.15 * len(clean)
    first_seen: dict[str, tuple[int, bytes]] = {}
    for index, event in enumerate(noisy):
        if event.event_id in first_seen:
            original_index, original = first_seen[event.event_id]
            assert original_index < index and original == event.to_json_bytes()
        else:
            first_seen[event.event_id] = (index, event.to_json_bytes())


def test_shuffle_reorders_without_losing_and_inverts_some_dossiers(
    clean: list[Envelope],
) -> None:
    messy = generate(day=DAY, seed=5, scale=0.3, shuffle_window=200)
    assert Counter(e.to_json_bytes() for e in messy) == Counter(e.to_json_bytes() for e in clean)
    assert [e.event_id for e in messy] != [e.event_id for e in clean]
    position = {
        (e.dossier_id, e.status): i for i, e in enumerate(messy) if isinstance(e, DossierEvent)
    }
    inverted = [
        dossier
        for (dossier, status), index in position.items()
        if status == S.RESOLVED and index < position[dossier, S.RECEIVED]
    ]
    assert inverted


def test_live_mode_starts_now_and_makes_dossiers_fall_due_in_minutes() -> None:
    now = datetime(2025, 3, 12, 9, 0, tzinfo=TZ)
    events = generate(live=True, now=now, hours=2, seed=9, scale=0.3)
    assert min(e.occurred_at for e in events) >= now
    open_ids = {e.dossier_id for e in events if isinstance(e, DossierEvent)} - {
        e.dossier_id for e in events if isinstance(e, DossierEvent) and e.status == S.RESOLVED
    }
    soon = {
        e.dossier_id
        for e in events
        if isinstance(e, DossierEvent)
        and e.dossier_id in open_ids
        and e.due_at is not None
        and now < e.due_at <= now + timedelta(minutes=20)
    }
    assert soon


def test_live_speedup_compresses_the_day_and_keeps_ids_consistent() -> None:
    now = datetime(2025, 3, 15, 21, 0, tzinfo=TZ)  # a Saturday evening demo
    events = generate(live=True, now=now, hours=3, seed=9, scale=0.3, speedup=60)
    times = [e.occurred_at for e in events]
    assert min(times) >= now
    assert max(times) <= now + timedelta(minutes=3, seconds=30)
    assert any(isinstance(e, DossierEvent) and e.status == S.RECEIVED for e in events)
    for event in events:
        if isinstance(event, DossierEvent):
            assert event.event_id.endswith(f":{event.status}:{source_stamp(event.occurred_at)}")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pacer_rate_spaces_events() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=10, clock=clock)
    at = datetime(2025, 3, 12, 9, 0, tzinfo=TZ)
    assert pacer.delay(at) == 0
    pacer.count = 5  # five events already emitted
    assert pacer.delay(at) == pytest.approx(0.5)
    clock.now = 0.5
    assert pacer.delay(at) == pytest.approx(0.0)


def test_pacer_speedup_follows_event_time_gaps() -> None:
    clock = FakeClock()
    anchor = datetime(2025, 3, 12, 9, 0, tzinfo=TZ)
    pacer = Pacer(speedup=60, anchor=anchor, clock=clock)
    assert pacer.delay(anchor + timedelta(minutes=30)) == pytest.approx(30)
    clock.now = 10
    assert pacer.delay(anchor + timedelta(minutes=30)) == pytest.approx(20)
    # An event older than the replay position (shuffled, re-sent) goes at once.
    assert pacer.delay(anchor) == 0


def test_pacer_wait_returns_false_once_stopped() -> None:
    pacer = Pacer(speedup=1, clock=FakeClock())
    pacer.stop.set()
    assert pacer.wait(datetime(2025, 3, 12, tzinfo=TZ)) is False

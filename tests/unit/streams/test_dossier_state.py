"""The dossier state converges whatever the order and however often events arrive."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.dossier.state import DossierState, from_ms, merge
from tests.unit.streams.factories import BASE, dossier_event

LIFECYCLE = [
    dossier_event("submitted", 0),
    dossier_event("received", 5),
    dossier_event("in_progress", 60),
    dossier_event("supplement_requested", 120),
    dossier_event("supplement_received", 600, due_days=5),
    dossier_event("resolved", 2000, due_days=5, resolved_minutes=2000),
    dossier_event("returned", 2100, due_days=5, resolved_minutes=2000),
]


def fold(events) -> DossierState:  # type: ignore[no-untyped-def]
    state = DossierState(dossier_id="D-1")
    for event in events:
        merge(state, event)
    return state


def test_lifecycle_fields() -> None:
    state = fold(LIFECYCLE)
    assert state.status == "returned"
    assert from_ms(state.received_event_at) == BASE + timedelta(minutes=5)
    assert from_ms(state.due_at) == BASE + timedelta(days=5)  # the extension wins
    assert from_ms(state.first_resolved_event_at) == BASE + timedelta(minutes=2000)
    assert state.closed and not state.is_open
    assert state.version == len(LIFECYCLE)


def test_duplicate_is_not_merged_twice() -> None:
    state = fold(LIFECYCLE[:2])
    assert merge(state, LIFECYCLE[1]) is False
    assert state.version == 2


def test_open_until_closing_status() -> None:
    assert fold(LIFECYCLE[:3]).is_open
    assert not fold(LIFECYCLE[:1]).is_open  # submitted is not yet received


def test_resolved_before_received_is_not_open() -> None:
    state = fold([LIFECYCLE[5], LIFECYCLE[1]])
    assert not state.is_open
    assert state.status == "resolved"  # the latest by event time, not by arrival


def test_first_resolution_wins_over_a_later_one() -> None:
    again = dossier_event("resolved", 3000, due_days=5, resolved_minutes=3000, event_id="r2")
    state = fold([again, *LIFECYCLE])
    assert from_ms(state.resolved_at) == BASE + timedelta(minutes=2000)


def test_round_trips_through_json_dict() -> None:
    state = fold(LIFECYCLE[:4])
    state.firing["dossier_due_soon"] = 123
    assert DossierState.from_dict(state.to_dict()) == state


@settings(max_examples=60, deadline=None)
@given(st.permutations(LIFECYCLE), st.lists(st.sampled_from(LIFECYCLE), max_size=6))
def test_any_order_and_duplicates_converge(order, repeats) -> None:  # type: ignore[no-untyped-def]
    assert fold([*order, *repeats]).to_dict() == fold(LIFECYCLE).to_dict()

"""Due-soon and overdue alerts fire and resolve at the right moments."""

from __future__ import annotations

from datetime import timedelta

from cityops.contract.enums import AlertKind, AlertState
from streams.dossier.deadlines import evaluate, next_check_ms
from streams.dossier.state import DossierState, merge, to_ms
from tests.unit.streams.factories import BASE, dossier_event


def open_dossier(due_days: float = 3) -> DossierState:
    state = DossierState(dossier_id="D-1")
    merge(state, dossier_event("received", 0, due_days=due_days))
    return state


def kinds(changes) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(c.kind.value, c.state.value) for c in changes]


def test_nothing_before_the_due_soon_window() -> None:
    state = open_dossier()
    assert evaluate(state, BASE + timedelta(hours=1), 1.0) == []


def test_due_soon_then_overdue_then_resolved_on_close() -> None:
    state = open_dossier(due_days=3)  # due Thursday 08:00 local
    due = BASE + timedelta(days=3)
    soon = evaluate(state, due - timedelta(hours=2), 1.0)
    assert kinds(soon) == [("dossier_due_soon", "firing")]
    assert evaluate(state, due - timedelta(hours=1), 1.0) == []  # deduplicated

    overdue = evaluate(state, due + timedelta(seconds=1), 1.0)
    assert ("dossier_due_soon", "resolved") in kinds(overdue)
    assert ("dossier_overdue", "firing") in kinds(overdue)
    fired = next(c for c in overdue if c.kind == AlertKind.DOSSIER_OVERDUE)
    assert fired.opened_at_ms == to_ms(due)  # since when: the deadline itself

    merge(state, dossier_event("resolved", 60 * 24 * 4, due_days=3))
    closed = evaluate(state, due + timedelta(days=1), 1.0)
    assert kinds(closed) == [("dossier_overdue", "resolved")]
    assert closed[0].state == AlertState.RESOLVED
    assert closed[0].resolved_at_ms == state.closed_at


def test_extension_resolves_the_overdue_alert() -> None:
    state = open_dossier(due_days=1)
    evaluate(state, BASE + timedelta(days=1, minutes=1), 1.0)
    assert "dossier_overdue" in state.firing
    merge(state, dossier_event("supplement_received", 60 * 25, due_days=10))
    changes = evaluate(state, BASE + timedelta(days=1, minutes=2), 1.0)
    assert ("dossier_overdue", "resolved") in kinds(changes)
    assert "dossier_overdue" not in state.firing


def test_next_check_walks_due_soon_then_due() -> None:
    state = open_dossier(due_days=3)
    first = next_check_ms(state, 1.0)
    assert first is not None and first < to_ms(BASE + timedelta(days=3))
    evaluate(state, BASE + timedelta(days=3) - timedelta(minutes=1), 1.0)
    assert next_check_ms(state, 1.0) == to_ms(BASE + timedelta(days=3))
    evaluate(state, BASE + timedelta(days=3, minutes=1), 1.0)
    assert next_check_ms(state, 1.0) is None


def test_a_moved_due_date_keeps_the_same_alert_open() -> None:
    state = open_dossier(due_days=3)
    due = BASE + timedelta(days=3)
    evaluate(state, due - timedelta(hours=2), 1.0)
    opened = state.firing["dossier_due_soon"]
    merge(state, dossier_event("in_progress", 60, due_days=3.00001))
    assert evaluate(state, due - timedelta(hours=1), 1.0) == []
    assert state.firing["dossier_due_soon"] == opened

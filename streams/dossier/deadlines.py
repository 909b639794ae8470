"""Deadline rules of an open dossier: when `dossier_due_soon` and `dossier_overdue` fire
and when they resolve. Pure: the processor and the deadline timer both call `evaluate`.

`opened_at` is derived from the dossier (the due date, or the start of the due-soon window),
not from the wall clock, so re-evaluating after a restart produces the same alert, which the
alert table and the compacted alerts topic then keep once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cityops.contract.enums import AlertKind, AlertState, Severity
from cityops.timeutil import subtract_working_days
from streams.dossier.state import DossierState, from_ms, to_ms


@dataclass(frozen=True)
class AlertChange:
    """A firing or resolution the caller turns into an AlertEvent."""

    kind: AlertKind
    state: AlertState
    severity: Severity
    opened_at_ms: int
    resolved_at_ms: int | None = None


#: Each deadline alert's severity.
SEVERITY = {
    AlertKind.DOSSIER_OVERDUE: Severity.CRITICAL,
    AlertKind.DOSSIER_DUE_SOON: Severity.WARNING,
}


def due_soon_from(due_at_ms: int, lead_working_days: float) -> int:
    due = from_ms(due_at_ms)
    assert due is not None
    return to_ms(subtract_working_days(due, lead_working_days))


def next_check_ms(state: DossierState, lead_working_days: float) -> int | None:
    """When this dossier's alerts can next change without a new event (for the timer heap)."""
    if not state.is_open or state.due_at is None:
        return None
    if AlertKind.DOSSIER_OVERDUE.value in state.firing:
        return None
    if AlertKind.DOSSIER_DUE_SOON.value in state.firing:
        return state.due_at
    return due_soon_from(state.due_at, lead_working_days)


def evaluate(state: DossierState, now: datetime, lead_working_days: float) -> list[AlertChange]:
    """Bring `state.firing` in line with the rules at `now`; return what changed."""
    now_ms = to_ms(now)
    wanted: dict[AlertKind, tuple[int, Severity]] = {}
    if state.is_open and state.due_at is not None:
        if now_ms >= state.due_at:
            wanted[AlertKind.DOSSIER_OVERDUE] = (state.due_at, Severity.CRITICAL)
        else:
            soon = due_soon_from(state.due_at, lead_working_days)
            if now_ms >= soon:
                wanted[AlertKind.DOSSIER_DUE_SOON] = (soon, Severity.WARNING)

    changes: list[AlertChange] = []
    for kind_value, opened_ms in list(state.firing.items()):
        kind = AlertKind(kind_value)
        if kind in wanted:
            # Still true: the same alert stays open, even if a new due date moved its start
            # (one open alert per kind and dossier; no resolve-and-refire flapping).
            continue
        # Never before it opened: a resolution that arrives after the alert fired can carry
        # an earlier time (the dossier was resolved before its due date, we learnt it late).
        resolved_ms = max(state.closed_at if state.closed_at is not None else now_ms, opened_ms)
        changes.append(
            AlertChange(kind, AlertState.RESOLVED, SEVERITY[kind], opened_ms, resolved_ms)
        )
        del state.firing[kind_value]
    for kind, (opened_ms, severity) in wanted.items():
        if kind.value not in state.firing:
            state.firing[kind.value] = opened_ms
            changes.append(AlertChange(kind, AlertState.FIRING, severity, opened_ms))
    return changes

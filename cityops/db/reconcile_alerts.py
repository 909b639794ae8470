"""Alert reconciliation: which deadline alerts must be firing, recomputed from the raw events.

The workers decide `dossier_overdue` and `dossier_due_soon` incrementally (state, timers,
versions); here the rule of contract.md is applied once more, in batch, to the raw
`dossier_events` (the same independent state recomputation as `cityops.db.reconcile`): an
overdue alert must be firing exactly for the open dossiers whose latest due date has passed,
a due-soon alert exactly for those inside the due-soon window. `reconcile_alerts` returns
every disagreement with the alerts the read API says are firing, plus every alert whose
resolution precedes its opening. Dossiers whose deadline lies within `margin` of `now` are
left out: a worker's timer decides them within seconds, a snapshot cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cityops.contract import AlertEvent
from cityops.contract.enums import AlertKind, AlertState
from cityops.db.client import SqlClient
from cityops.db.migrate import render
from cityops.db.reconcile import BATCH_DOSSIER_STATE
from cityops.db.sqltext import literal
from cityops.db.tables import V_ALERTS, qualified
from cityops.timeutil import subtract_working_days

DEADLINE_KINDS = (AlertKind.DOSSIER_OVERDUE, AlertKind.DOSSIER_DUE_SOON)


@dataclass(frozen=True)
class AlertDifference:
    alert_id: str
    expected_firing: bool
    firing: bool
    #: What is wrong, for the assertion message.
    why: str


def expected_deadline_alerts(
    client: SqlClient, database: str, now: datetime, lead_working_days: float, margin: timedelta
) -> tuple[set[str], set[str]]:
    """(alert ids that must be firing, alert ids too close to their deadline to judge)."""
    rows = client.execute(
        render(
            f"SELECT dossier_id, due_at FROM ({BATCH_DOSSIER_STATE}) "
            "WHERE closed = 0 AND isNotNull(received_event_at) AND isNotNull(due_at)",
            database,
        )
    )
    expected: set[str] = set()
    uncertain: set[str] = set()
    for dossier_id, due_naive in rows:
        due = due_naive.replace(tzinfo=UTC)
        soon = subtract_working_days(due, lead_working_days)
        overdue_id = AlertEvent.make_id(AlertKind.DOSSIER_OVERDUE, dossier_id)
        soon_id = AlertEvent.make_id(AlertKind.DOSSIER_DUE_SOON, dossier_id)
        if abs(now - due) < margin or abs(now - soon) < margin:
            uncertain |= {overdue_id, soon_id}
        elif now >= due:
            expected.add(overdue_id)
        elif now >= soon:
            expected.add(soon_id)
    return expected, uncertain


def firing_deadline_alerts(client: SqlClient, database: str) -> set[str]:
    kinds = ", ".join(literal(k.value) for k in DEADLINE_KINDS)
    rows = client.execute(
        f"SELECT DISTINCT alert_id FROM {qualified(V_ALERTS, database)} "
        f"WHERE state = {literal(AlertState.FIRING.value)} AND kind IN ({kinds})"
    )
    return {alert_id for (alert_id,) in rows}


def inverted_alerts(client: SqlClient, database: str) -> list[str]:
    """Alerts whose stored resolution precedes their opening (never allowed)."""
    rows = client.execute(
        f"SELECT alert_id FROM {qualified(V_ALERTS, database)} "
        "WHERE isNotNull(resolved_at) AND assumeNotNull(resolved_at) < opened_at"
    )
    return sorted(alert_id for (alert_id,) in rows)


def reconcile_alerts(
    client: SqlClient,
    database: str,
    *,
    now: datetime | None = None,
    lead_working_days: float = 1.0,
    margin: timedelta = timedelta(seconds=30),
) -> list[AlertDifference]:
    """Every deadline alert firing when it should not be, or not firing when it should;
    empty when the workers' alerts are exact."""
    expected, uncertain = expected_deadline_alerts(
        client, database, now or datetime.now(UTC), lead_working_days, margin
    )
    firing = firing_deadline_alerts(client, database) - uncertain
    differences = [
        AlertDifference(a, True, False, "must be firing") for a in sorted(expected - firing)
    ]
    differences += [
        AlertDifference(a, False, True, "firing, must not be") for a in sorted(firing - expected)
    ]
    differences += [
        AlertDifference(a, False, False, "resolved before it opened")
        for a in inverted_alerts(client, database)
    ]
    return differences

"""Alert panels: what the stream workers raised and is still firing."""

from __future__ import annotations

from cityops.contract import AlertState, Severity
from cityops.db.tables import V_ALERTS
from dashboards import defaults as d
from dashboards.sql import EVERYWHERE, Scope

FIRING = f"state = '{AlertState.FIRING.value}'"
#: Most severe first in every list.
SEVERITY_ORDER = (
    f"indexOf(['{Severity.CRITICAL.value}', '{Severity.WARNING.value}', "
    f"'{Severity.INFO.value}'], severity)"
)


def critical_firing(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Critical alerts firing",
        "Critical alerts raised by the stream workers and not resolved yet.",
        f"SELECT count() AS firing FROM {V_ALERTS} WHERE {FIRING} "
        f"AND severity = '{Severity.CRITICAL.value}' AND {_agency(scope)}",
        thresholds=d.limit_steps(1),
    )


def firing(scope: Scope = EVERYWHERE, limit: int = 100) -> d.Panel:
    return d.table(
        "Firing alerts",
        "What is wrong now, most severe and oldest first: what, where, since when.",
        f"""
        SELECT severity, kind, subject, ifNull(agency_code, '') AS agency, message,
               opened_at
        FROM {V_ALERTS}
        WHERE {FIRING} AND {_agency(scope)}
        ORDER BY {SEVERITY_ORDER} ASC, opened_at ASC
        LIMIT {limit}
        """,
        width=24,
    )


def _agency(scope: Scope) -> str:
    """Alerts without an agency (a silent source) stay visible in every drill-down."""
    where = scope.where(area=False)
    return "1" if where == "1" else f"(isNull(agency_code) OR ({where}))"

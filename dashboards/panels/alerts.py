"""Alert panels: what the stream workers raised and is still firing.

Every query here asks for firing alerts only, so it reads `v_alerts_live` (every firing
alert is in it), not `v_alerts`, whose resolved history costs a firing query time for nothing.

The wall shows alerts the way duty officers are paged for them: per agency and kind, with
counts (`dashboards/alerting/pages.py`); the drill-down lists each alert row.
"""

from __future__ import annotations

from cityops.contract import AlertState, Severity
from cityops.db.tables import REF_AGENCIES, V_ALERTS_LIVE
from dashboards import defaults as d
from dashboards.alert_kinds import KINDS
from dashboards.alerting.pages import NEW_WITHIN_S
from dashboards.columns import linked_agency
from dashboards.sql import EVERYWHERE, Scope

FIRING = f"state = '{AlertState.FIRING.value}'"
#: Most severe first in every list.
SEVERITY_ORDER = (
    f"indexOf(['{Severity.CRITICAL.value}', '{Severity.WARNING.value}', "
    f"'{Severity.INFO.value}'], severity)"
)
_SEVERITY_CELL = d.Column(
    "Mức độ",
    thresholds=d.steps((None, "red"), (2, "orange"), (3, "blue")),
    texts=(("1", "khẩn"), ("2", "cảnh báo"), ("3", "thông tin")),
)
_KIND_CELL = d.Column("Loại", texts=tuple((k.value, w.vi) for k, w in KINDS.items()))


def critical_firing(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Cảnh báo khẩn",
        "Critical pages: agencies and kinds with critical alerts firing (each is one page to "
        "the duty officers, however many dossiers it counts).",
        f"SELECT uniqExact(ifNull(agency_code, ''), kind) AS pages FROM {V_ALERTS_LIVE} "
        f"WHERE {FIRING} AND severity = '{Severity.CRITICAL.value}' AND backlog = 0 "
        f"AND {_agency(scope)}",
        thresholds=d.limit_steps(1),
        width=4,
    )


def pages(scope: Scope = EVERYWHERE, *, width: int = 10, height: int = 8) -> d.Panel:
    return d.table(
        "Cảnh báo đang bật",
        "Firing alerts per agency and kind, as the duty officers are paged: how many, how many "
        "new in the last hour, since when. Most severe first; click an agency for its list.",
        f"""
        SELECT {SEVERITY_ORDER} AS level, agency_code, agency, kind, alerts, new_1h, since
        FROM (
            SELECT ifNull(agency_code, '') AS agency_code, kind, any(severity) AS severity,
                   count() AS alerts, countIf(opened_at >= now() - {NEW_WITHIN_S}) AS new_1h,
                   min(opened_at) AS since
            FROM {V_ALERTS_LIVE}
            WHERE {FIRING} AND {_agency(scope)}
            GROUP BY agency_code, kind
        ) AS f ANY LEFT JOIN (
            SELECT agency_code, agency_name AS agency FROM {REF_AGENCIES.name}
        ) AS a USING (agency_code)
        ORDER BY level ASC, alerts DESC
        """,
        columns={
            "level": _SEVERITY_CELL,
            **linked_agency(),
            "kind": _KIND_CELL,
            "alerts": d.Column("Số cảnh báo"),
            "new_1h": d.Column("Mới (1 giờ)"),
            "since": d.Column("Từ lúc"),
        },
        width=width,
        height=height,
    )


def firing(scope: Scope = EVERYWHERE, limit: int = 200) -> d.Panel:
    return d.table(
        "Danh sách cảnh báo",
        "Every firing alert row raised by the workers (one per dossier, provider or source), "
        "most severe and oldest first: what, where, since when.",
        f"""
        SELECT {SEVERITY_ORDER} AS level, kind, subject, ifNull(agency_code, '') AS agency,
               message, opened_at
        FROM {V_ALERTS_LIVE}
        WHERE {FIRING} AND {_agency(scope)}
        ORDER BY level ASC, opened_at ASC
        LIMIT {limit}
        """,
        columns={
            "level": _SEVERITY_CELL,
            "kind": _KIND_CELL,
            "subject": d.Column("Đối tượng"),
            "agency": d.Column("Cơ quan"),
            "message": d.Column("Nội dung"),
            "opened_at": d.Column("Từ lúc"),
        },
        width=24,
    )


def _agency(scope: Scope) -> str:
    """Alerts without an agency (a silent source) stay visible in every drill-down."""
    where = scope.where(area=False)
    return "1" if where == "1" else f"(isNull(agency_code) OR ({where}))"

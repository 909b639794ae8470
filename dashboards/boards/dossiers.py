"""Dossier drill-down: the wall's dossier figures for chosen agencies, areas and procedures.

The wall links here with `var-agency`; the procedure table links back here with
`var-procedure`, narrowing the overdue list: wall -> agency -> procedure -> dossier list.
"""

from __future__ import annotations

from cityops.db.tables import REF_AGENCIES, REF_AREAS, REF_PROCEDURES
from dashboards import defaults as d
from dashboards.panels import alerts, dossier, portal
from dashboards.sql import Scope
from dashboards.uids import DOSSIERS as UID

SCOPE = Scope(agency_var="agency", area_var="area", procedure_var="procedure")

__all__ = ["SCOPE", "UID", "build", "variables"]


def variables() -> list[d.Json]:
    """(code, name) pickers: people pick names, queries get codes."""
    return [
        d.query_variable(
            "agency",
            "Cơ quan",
            f"SELECT agency_code, agency_name FROM {REF_AGENCIES.name} ORDER BY agency_name",
        ),
        d.query_variable(
            "area",
            "Địa bàn",
            f"SELECT area_code, area_name FROM {REF_AREAS.name} ORDER BY area_name",
        ),
        d.query_variable(
            "procedure",
            "Thủ tục",
            f"SELECT procedure_code, procedure_name FROM {REF_PROCEDURES.name} "
            "ORDER BY procedure_name",
        ),
    ]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "Hồ sơ theo cơ quan, địa bàn, thủ tục",
        "Dossiers by agency, area and procedure, for department heads and inspectors: intake, "
        "timeliness and overdue dossiers of the chosen agencies.",
        [
            d.row("Hôm nay"),
            dossier.received_today(SCOPE),
            dossier.resolved_today(SCOPE),
            dossier.on_time_today(SCOPE),
            dossier.open_now(SCOPE),
            dossier.overdue_now(SCOPE),
            dossier.overdue_share(SCOPE),
            portal.satisfaction_today(SCOPE),
            d.row("Quá hạn"),
            dossier.by_procedure(SCOPE),
            dossier.overdue_list(SCOPE),
            alerts.pages(SCOPE, width=24, height=6),
            alerts.firing(SCOPE),
            d.row("Trong khoảng thời gian"),
            dossier.business_registration_days(SCOPE),
            dossier.business_registration_within_due(SCOPE),
            dossier.flow(SCOPE),
            dossier.on_time_trend(SCOPE),
            dossier.processing_hours_trend(SCOPE),
            portal.satisfaction_trend(SCOPE),
            dossier.worst_agencies(SCOPE),
            dossier.worst_areas(SCOPE),
        ],
        variables=variables(),
        time_from="now-7d",
        links=[d.dashboard_link("Các bảng điều khiển")],
    )

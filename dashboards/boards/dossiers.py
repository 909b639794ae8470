"""Dossier drill-down: the wall's dossier figures for chosen agencies and areas."""

from __future__ import annotations

from cityops.db.tables import REF_AGENCIES, REF_AREAS
from dashboards import defaults as d
from dashboards.panels import alerts, dossier, portal
from dashboards.sql import Scope

UID = "cityops-dossiers"
SCOPE = Scope(agency_var="agency", area_var="area")


def variables() -> list[d.Json]:
    return [
        d.query_variable(
            "agency",
            "Agency",
            f"SELECT agency_code FROM {REF_AGENCIES.name} ORDER BY agency_code",
        ),
        d.query_variable(
            "area", "Area", f"SELECT area_code FROM {REF_AREAS.name} ORDER BY area_code"
        ),
    ]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "cityops — dossiers by agency and area",
        "For department heads and inspectors: intake, timeliness and overdue dossiers of "
        "the chosen agencies and areas.",
        [
            d.row("Today"),
            dossier.received_today(SCOPE),
            dossier.resolved_today(SCOPE),
            dossier.on_time_today(SCOPE),
            dossier.open_now(SCOPE),
            dossier.overdue_now(SCOPE),
            portal.satisfaction_today(SCOPE),
            d.row("Over the time range"),
            dossier.business_registration_days(SCOPE),
            dossier.business_registration_within_due(SCOPE),
            dossier.flow(SCOPE),
            dossier.on_time_trend(SCOPE),
            dossier.processing_hours_trend(SCOPE),
            portal.satisfaction_trend(SCOPE),
            dossier.worst_agencies(SCOPE),
            dossier.worst_areas(SCOPE),
            d.row("Overdue"),
            dossier.overdue_list(SCOPE),
            alerts.firing(SCOPE),
        ],
        variables=variables(),
        time_from="now-7d",
        links=[d.dashboard_link("cityops dashboards")],
    )

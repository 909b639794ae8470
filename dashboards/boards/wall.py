"""The operations-center wall: today at a glance, who is behind, and whether to trust it.

Read from across the room, so big numbers first, colours from the targets, and the
drill-downs one click away (the dashboard links).
"""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import alerts, dossier, health, payment, portal, score766

UID = "cityops-wall"


def build() -> d.Json:
    return d.dashboard(
        UID,
        "cityops — operations wall",
        "Today's dossiers, payments and satisfaction for the province, the 766 score per "
        "agency, who is behind, and the health of the pipeline that feeds this wall.",
        [
            d.row("Today"),
            dossier.received_today(),
            dossier.resolved_today(),
            dossier.on_time_today(),
            dossier.open_now(),
            dossier.overdue_now(),
            dossier.online_share_today(),
            payment.cashless_share_today(),
            payment.amount_today(),
            portal.satisfaction_today(),
            score766.province(),
            dossier.business_registration_days(),
            alerts.critical_firing(),
            d.row("Who is behind"),
            score766.by_agency(),
            dossier.worst_agencies(),
            dossier.worst_areas(),
            dossier.overdue_by_agency(),
            dossier.flow(),
            payment.flow(),
            alerts.firing(),
            d.row("Pipeline"),
            health.silent_sources(),
            health.deadletters_5m(),
            health.max_lag(),
        ],
        links=[d.dashboard_link("cityops dashboards")],
    )

"""The operations-center wall: is it fresh, what pages are out, today, and who is behind.

Read from across the room on one 1920x1080 kiosk screen (a test holds it to the grid rows
that fit, `grid.rows_on_screen`): freshness and the pages the duty officers got at the top,
big numbers coloured against targets, then the agencies behind; every agency links to its
drill-down (wall -> agency -> procedure -> dossier list). Titles are Vietnamese for the
room; each description starts with the English name and says what the figure means.
"""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.grid import sized
from dashboards.panels import alerts, dossier, health, payment, portal, score766
from dashboards.uids import WALL as UID

#: The screen the wall is built for (px).
SCREEN_HEIGHT_PX = 1080

__all__ = ["SCREEN_HEIGHT_PX", "UID", "build"]


def panels() -> list[d.Panel]:
    return [
        # Top left: can the figures be trusted, and what was paged (pages table at the right).
        health.freshness(),
        health.silent_sources(),
        health.max_lag(),
        alerts.critical_firing(),
        alerts.pages(width=10, height=8),
        # Today's dossiers under them.
        sized(dossier.received_today(), 3, 4),
        sized(dossier.resolved_today(), 3, 4),
        dossier.on_time_today(),
        dossier.overdue_share(),
        # Today across the board.
        sized(dossier.open_now(), 3, 4),
        sized(dossier.overdue_now(), 3, 4),
        sized(dossier.online_share_today(), 3, 4),
        sized(payment.cashless_share_today(), 3, 4),
        sized(payment.amount_today(), 4, 4),
        sized(portal.satisfaction_today(), 3, 4),
        sized(score766.province(), 3, 4),
        sized(dossier.business_registration_days(), 2, 4),
        # Who is behind.
        score766.by_agency(height=8),
        dossier.overdue_by_agency(),
        dossier.worst_agencies(height=7),
        sized(dossier.flow(), 12, 7),
    ]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "Trung tâm điều hành — màn hình tổng hợp",
        "Operations wall: whether the data is fresh and what the duty officers were paged for, "
        "today's dossiers, payments and satisfaction for the province, the 766 score per "
        "agency and who is behind.",
        panels(),
        links=[d.dashboard_link("Các bảng điều khiển")],
    )

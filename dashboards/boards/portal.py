"""Portal and satisfaction: how citizens use the online portal and how they rate it."""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import portal
from dashboards.uids import PORTAL as UID

__all__ = ["UID", "build"]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "Cổng dịch vụ công và mức hài lòng",
        "Portal and satisfaction: sessions, online submissions and ratings (the live "
        "counterpart of SIPAS), per agency; for the portal team and the agencies.",
        [
            d.row("Hôm nay"),
            portal.sessions_today(),
            portal.submissions_today(),
            portal.completion_today(),
            portal.ratings_today(),
            portal.satisfaction_today(),
            d.row("Trong khoảng thời gian"),
            portal.activity(),
            portal.satisfaction_trend(),
            portal.satisfaction_by_agency(),
        ],
        time_from="now-7d",
        links=[d.dashboard_link("Các bảng điều khiển")],
    )

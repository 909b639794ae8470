"""Payments: cashless uptake and failures, for the finance office and the providers."""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import payment, portal

UID = "cityops-payments"


def build() -> d.Json:
    return d.dashboard(
        UID,
        "cityops — payments and portal",
        "Cashless share and payment failures by agency and provider, and portal use: what "
        "it takes to reconcile fees and to push payment online.",
        [
            d.row("Today"),
            payment.cashless_share_today(),
            payment.amount_today(),
            payment.failure_rate_today(),
            portal.sessions_today(),
            portal.satisfaction_today(),
            d.row("Over the time range"),
            payment.flow(),
            payment.cashless_trend(),
            payment.cashless_by_agency(),
            payment.by_provider(),
            portal.activity(),
            portal.satisfaction_trend(),
        ],
        time_from="now-7d",
        links=[d.dashboard_link("cityops dashboards")],
    )

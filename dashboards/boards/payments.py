"""Payments: cashless uptake and failures, for the finance office and the providers."""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import payment
from dashboards.uids import PAYMENTS as UID

__all__ = ["UID", "build"]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "Thanh toán phí, lệ phí",
        "Payments: cashless share and payment failures by agency and provider, and portal use: "
        "what "
        "it takes to reconcile fees and to push payment online.",
        [
            d.row("Hôm nay"),
            payment.cashless_share_today(),
            payment.amount_today(),
            payment.failure_rate_today(),
            d.row("Trong khoảng thời gian"),
            payment.flow(),
            payment.cashless_trend(),
            payment.cashless_by_agency(),
            payment.by_provider(),
        ],
        time_from="now-7d",
        links=[d.dashboard_link("Các bảng điều khiển")],
    )

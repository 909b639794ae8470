"""Pipeline: for the engineers on call, is every source flowing and every worker keeping up."""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import alerts, health
from dashboards.uids import PIPELINE as UID

__all__ = ["UID", "build"]


def build() -> d.Json:
    return d.dashboard(
        UID,
        "Tình trạng đường ống dữ liệu",
        "Pipeline health: freshness, sources, dead letters and consumer lag: whether the figures "
        "on the wall are fresh.",
        [
            health.freshness(),
            health.silent_sources(),
            health.deadletters_5m(),
            health.max_lag(),
            alerts.critical_firing(),
            alerts.pages(width=24, height=6),
            health.sources(),
            health.events_flow(),
            health.deadletter_reasons(),
        ],
        time_from="now-6h",
        refresh="30s",
        links=[d.dashboard_link("Các bảng điều khiển")],
    )

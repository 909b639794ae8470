"""Pipeline: for the engineers on call, is every source flowing and every worker keeping up."""

from __future__ import annotations

from dashboards import defaults as d
from dashboards.panels import alerts, health

UID = "cityops-pipeline"


def build() -> d.Json:
    return d.dashboard(
        UID,
        "cityops — pipeline health",
        "Sources, dead letters and consumer lag: whether the figures on the wall are fresh.",
        [
            health.silent_sources(),
            health.deadletters_5m(),
            health.max_lag(),
            alerts.critical_firing(),
            health.sources(),
            health.events_flow(),
            health.deadletter_reasons(),
        ],
        time_from="now-6h",
        refresh="30s",
        links=[d.dashboard_link("cityops dashboards")],
    )

"""What Grafana evaluates itself: whether the pipeline under the wall is alive.

The workers raise every domain alert, but they cannot report that they stopped or fell
behind: those are judged here, from `v_pipeline_health`, with the thresholds of
`dashboards/targets.py`. A stuck sink is the workers' own sample (`sink_health`, judged
against `streams.sink_stuck_seconds`), paged from here. Where silence is the failure
(nothing ingested at all, no worker reporting) an empty result fires too
(`no_data="Alerting"`).
"""

from __future__ import annotations

from cityops.contract import Severity
from dashboards import targets
from dashboards.alerting.model import Rule
from dashboards.boards import pipeline
from dashboards.panels import health

LINK = "{{ externalURL }}/d/" + pipeline.UID

_OPEN = "Open the pipeline dashboard (link), then the workers' logs."

RULES: tuple[Rule, ...] = (
    Rule(
        uid="cityops-wall-stale",
        title="The wall is stale: nothing ingested",
        group="pipeline",
        sql=f"SELECT if({health.OFFICE_HOURS}, {health.FRESHNESS_S}, 0.) AS value "
        f"FROM {health.SOURCES}",
        evaluator="gt",
        threshold=targets.FRESHNESS_LIMIT_S,
        severity=Severity.CRITICAL.value,
        summary="Dữ liệu trên màn hình không cập nhật: {{ humanizeDuration $values.B.Value }}",
        description=(
            "No event from any source reached ClickHouse for {{ humanizeDuration "
            "$values.B.Value }} in office hours: every figure on the wall is stale. "
            f"Connectors, Kafka and the workers are the suspects, in that order. {_OPEN}"
        ),
        dashboard_uid=pipeline.UID,
        link=LINK,
        no_data="Alerting",
    ),
    Rule(
        uid="cityops-workers-silent",
        title="Stream workers stopped reporting",
        group="pipeline",
        sql=f"SELECT {health.WORKERS_SILENT_S} AS value FROM {health.SOURCES}",
        evaluator="gt",
        threshold=targets.WORKERS_SILENT_AFTER_S,
        severity=Severity.CRITICAL.value,
        summary="Bộ xử lý luồng ngừng báo cáo: {{ humanizeDuration $values.B.Value }}",
        description=(
            "No stream worker reported its consumer lag for {{ humanizeDuration "
            "$values.B.Value }}: the workers are down or hung, so no alert can be raised "
            f"and the figures stop. {_OPEN}"
        ),
        dashboard_uid=pipeline.UID,
        link=LINK,
        no_data="Alerting",
    ),
    Rule(
        uid="cityops-consumer-lag",
        title="Workers falling behind",
        group="pipeline",
        sql=health.LAG_BY_TOPIC_SQL,
        evaluator="gt",
        threshold=targets.LAG_LIMIT,
        severity=Severity.CRITICAL.value,
        summary="{{ $labels.topic }}: {{ humanize $values.B.Value }} sự kiện chờ xử lý",
        description=(
            "{{ humanize $values.B.Value }} messages of {{ $labels.topic }} wait for their "
            f"worker (limit {targets.LAG_LIMIT:,}). Figures lag by as much; add workers "
            f"(cityops worker -n) or find what slows them. {_OPEN}"
        ),
        dashboard_uid=pipeline.UID,
        link=LINK,
        pending=targets.PIPELINE_PENDING,
    ),
    Rule(
        uid="cityops-sink-stuck",
        title="Workers consume but write nothing",
        group="pipeline",
        sql=health.STUCK_BY_TOPIC_SQL,
        evaluator="gt",
        threshold=0,
        severity=Severity.CRITICAL.value,
        summary="{{ $labels.topic }}: không ghi được vào ClickHouse "
        "({{ humanizeDuration $values.B.Value }})",
        description=(
            "Rows of {{ $labels.topic }} have waited {{ humanizeDuration $values.B.Value }} in "
            "a worker's sink with no successful write (the workers' own sample, "
            "streams.sink_stuck_seconds): ClickHouse is down, full or refusing a batch, and "
            f"the figures stop. See docs/operations.md, 'Poison and stuck sinks'. {_OPEN}"
        ),
        dashboard_uid=pipeline.UID,
        link=LINK,
        pending=targets.PIPELINE_PENDING,
    ),
)

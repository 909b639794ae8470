"""Grafana alert rules as code: what a duty officer is paged for, and what to open then.

Each rule is one ClickHouse query in table format, a `reduce` (last value per series) and a
`threshold`. The query returns one row per thing watched (an agency, a provider, a source)
with string columns, which Grafana turns into labels, and one number; so one rule watches
every agency at once and each firing instance says which one. Targets come from
`dashboards.targets`, the agencies' own on-time targets from `ref_agencies`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cityops.contract import SOURCE_TOPICS, AlertState, Severity
from cityops.db.tables import (
    PAYMENT_EVENTS,
    REF_AGENCIES,
    V_ALERTS,
    V_DOSSIER_DAILY,
    V_DOSSIER_OPEN,
    V_PIPELINE_HEALTH,
    V_PORTAL_DAILY,
)
from dashboards import defaults as d
from dashboards import targets
from dashboards.boards import dossiers, payments, pipeline, wall
from dashboards.sql import LAST_7_DAYS, TODAY, ratio

EXPRESSION_DATASOURCE = "__expr__"
Evaluator = Literal["gt", "lt"]


@dataclass(frozen=True)
class Rule:
    """One alert rule: `sql` returns label columns and one numeric column named `value`."""

    uid: str
    title: str
    group: str
    sql: str
    evaluator: Evaluator
    threshold: float
    severity: str
    summary: str
    description: str
    #: The dashboard to open (uid), with the labels that select what fired.
    dashboard_uid: str
    #: Seconds of data the query looks at ($__timeFilter / $__fromTime).
    window_s: int = 600
    pending: str = "2m"
    extra_labels: dict[str, str] = field(default_factory=dict)


def _agency_label() -> dict[str, str]:
    return {"agency": "{{ $labels.agency_code }}"}


def _rules() -> list[Rule]:
    on_time = targets.ON_TIME
    satisfaction = targets.SATISFACTION
    return [
        Rule(
            uid="cityops-dossier-overdue",
            title="Dossiers overdue",
            group="dossiers",
            sql=f"""
                SELECT agency_code, toFloat64(countIf(is_overdue = 1)) AS value
                FROM {V_DOSSIER_OPEN}
                GROUP BY agency_code
                """,
            evaluator="gt",
            threshold=0,
            severity=Severity.WARNING.value,
            summary="{{ $values.B.Value }} dossiers overdue at {{ $labels.agency_code }}",
            description=(
                "Open dossiers of agency {{ $labels.agency_code }} are past their due date "
                "(hồ sơ quá hạn). Open the overdue list of the dossiers dashboard filtered on "
                "the agency and call its desk."
            ),
            dashboard_uid=dossiers.UID,
            extra_labels=_agency_label(),
        ),
        Rule(
            uid="cityops-on-time-low",
            title="On-time rate under the agency's target",
            group="dossiers",
            sql=f"""
                SELECT agency_code, on_time_rate - on_time_target AS value
                FROM (
                    SELECT agency_code, sum({on_time.denominator}) AS n_resolved,
                           {ratio(on_time.numerator, on_time.denominator)} AS on_time_rate
                    FROM {V_DOSSIER_DAILY}
                    WHERE day >= {TODAY} - 6
                    GROUP BY agency_code
                ) AS t ANY INNER JOIN (
                    SELECT agency_code, on_time_target FROM {REF_AGENCIES.name}
                ) AS a USING (agency_code)
                WHERE n_resolved >= {targets.MIN_SAMPLE} AND isNotNull(on_time_rate)
                """,
            evaluator="lt",
            threshold=0,
            severity=Severity.WARNING.value,
            summary="On-time rate of {{ $labels.agency_code }} is under its target",
            description=(
                "Over the last 7 days agency {{ $labels.agency_code }} resolved on time "
                "{{ $values.B.Value }} (rate minus target, as a fraction) compared with its "
                "target in ref_agencies. Open the dossiers dashboard on the agency."
            ),
            dashboard_uid=dossiers.UID,
            pending="15m",
            extra_labels=_agency_label(),
        ),
        Rule(
            uid="cityops-payment-failure-rate",
            title="Payment provider failing",
            group="payments",
            sql=f"""
                SELECT provider, failed / nullIf(failed + succeeded, 0) AS value
                FROM (
                    SELECT provider,
                           uniqExactIf(payment_id, status = 'failed') AS failed,
                           uniqExactIf(payment_id, status = 'succeeded') AS succeeded
                    FROM {PAYMENT_EVENTS.name}
                    WHERE $__timeFilter(occurred_at)
                    GROUP BY provider
                )
                WHERE failed + succeeded >= {targets.MIN_SAMPLE}
                """,
            evaluator="gt",
            threshold=targets.PAYMENT_FAILURE_RATE_LIMIT,
            severity=Severity.CRITICAL.value,
            summary="Payments through {{ $labels.provider }} are failing",
            description=(
                "{{ $values.B.Value }} of the payments through {{ $labels.provider }} failed "
                "in the last 15 minutes (limit "
                f"{targets.PAYMENT_FAILURE_RATE_LIMIT:.0%}). Open the providers table of the "
                "payments dashboard and call the provider's support."
            ),
            dashboard_uid=payments.UID,
            window_s=900,
        ),
        Rule(
            uid="cityops-source-silent",
            title="Source silent",
            group="pipeline",
            sql=f"""
                SELECT source, topic,
                       toFloat64(dateDiff('second', ifNull(last_ingested_at, toDateTime(0)),
                                          now())) AS value
                FROM {V_PIPELINE_HEALTH}
                WHERE source != '' AND topic IN ({", ".join(f"'{s.base}'" for s in SOURCE_TOPICS)})
                """,
            evaluator="gt",
            threshold=targets.SOURCE_SILENT_AFTER_S,
            severity=Severity.CRITICAL.value,
            summary="{{ $labels.source }} sent nothing to {{ $labels.topic }}",
            description=(
                "Source {{ $labels.source }} has sent no event to {{ $labels.topic }} for "
                "{{ $values.B.Value }} seconds: the wall's figures for it are stale. Open the "
                "pipeline dashboard, then the connector's logs."
            ),
            dashboard_uid=pipeline.UID,
        ),
        Rule(
            uid="cityops-satisfaction-drop",
            title="Satisfaction drop",
            group="portal",
            sql=f"""
                SELECT agency_code, baseline - today AS value
                FROM (
                    SELECT agency_code,
                           sumIf({satisfaction.denominator}, day = {TODAY}) AS ratings_today,
                           sumIf({satisfaction.numerator}, day = {TODAY})
                               / nullIf(ratings_today, 0) AS today,
                           sumIf({satisfaction.numerator}, {LAST_7_DAYS})
                               / nullIf(sumIf({satisfaction.denominator}, {LAST_7_DAYS}), 0)
                               AS baseline
                    FROM {V_PORTAL_DAILY}
                    WHERE day >= {TODAY} - 7 AND agency_code != ''
                    GROUP BY agency_code
                )
                WHERE ratings_today >= {targets.MIN_SAMPLE} AND isNotNull(baseline)
                """,
            evaluator="gt",
            threshold=targets.SATISFACTION_DROP,
            severity=Severity.WARNING.value,
            summary="Satisfaction with {{ $labels.agency_code }} dropped today",
            description=(
                "Today's share of satisfied ratings for {{ $labels.agency_code }} is "
                "{{ $values.B.Value }} under its last 7 days. Open the dossiers dashboard on "
                "the agency and read today's feedback."
            ),
            dashboard_uid=dossiers.UID,
            pending="10m",
            extra_labels=_agency_label(),
        ),
        Rule(
            uid="cityops-stream-alerts",
            title="Alert raised by the stream workers",
            group="stream",
            sql=f"""
                SELECT alert_id, kind, subject, severity,
                       ifNull(agency_code, '') AS agency_code, message,
                       toString(opened_at) AS opened_at, toFloat64(1) AS value
                FROM {V_ALERTS}
                WHERE state = '{AlertState.FIRING.value}'
                  AND severity IN ('{Severity.CRITICAL.value}', '{Severity.WARNING.value}')
                """,
            evaluator="gt",
            threshold=0,
            # Each instance keeps the severity the worker gave it (the row's column).
            severity="{{ $labels.severity }}",
            summary="{{ $labels.kind }}: {{ $labels.subject }}",
            description=(
                "{{ $labels.message }} (alert {{ $labels.alert_id }}, agency "
                "{{ $labels.agency_code }}, open since {{ $labels.opened_at }} UTC). Open the "
                "wall's firing alerts table."
            ),
            dashboard_uid=wall.UID,
            pending="0s",
            extra_labels=_agency_label(),
        ),
    ]


RULES: tuple[Rule, ...] = tuple(_rules())


def rule_queries(rule: Rule) -> list[d.Json]:
    """The rule's data: the ClickHouse query (A), reduce to last (B), threshold (C)."""
    query = d.clickhouse_query(rule.sql, ref_id="A", shape="table")
    query.pop("datasource")
    return [
        {
            "refId": "A",
            "relativeTimeRange": {"from": rule.window_s, "to": 0},
            "datasourceUid": d.DATASOURCE_UID,
            "model": {**query, "intervalMs": 1000, "maxDataPoints": 43200},
        },
        {
            "refId": "B",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPRESSION_DATASOURCE,
            "model": {
                "refId": "B",
                "type": "reduce",
                "expression": "A",
                "reducer": "last",
                "settings": {"mode": "dropNN"},
            },
        },
        {
            "refId": "C",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPRESSION_DATASOURCE,
            "model": {
                "refId": "C",
                "type": "threshold",
                "expression": "B",
                "conditions": [{"evaluator": {"type": rule.evaluator, "params": [rule.threshold]}}],
            },
        },
    ]


def rule_labels(rule: Rule) -> dict[str, str]:
    return {"team": "cityops", "severity": rule.severity, **rule.extra_labels}


def rule_annotations(rule: Rule) -> dict[str, str]:
    return {
        "summary": rule.summary,
        "description": rule.description,
        "__dashboardUid__": rule.dashboard_uid,
        "runbook_url": f"/d/{rule.dashboard_uid}",
    }

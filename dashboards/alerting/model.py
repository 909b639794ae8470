"""An alert rule as Grafana evaluates it: one ClickHouse query, reduce, threshold.

The query returns one row per thing watched, with string columns (Grafana turns them into
labels: which agency and kind, which topic) and one number named `value`; so one rule
watches every agency at once and each firing instance says which one. A rule may add
`details`: more queries returning the same labels and one number, reduced too, so the
page can quote them (`$values.<ref>.Value`) without them deciding anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dashboards import defaults as d

EXPRESSION_DATASOURCE = "__expr__"
Evaluator = Literal["gt", "lt"]
NoData = Literal["OK", "Alerting", "NoData"]
#: The refIds of every rule: the query, its reduction and the condition on it.
QUERY, REDUCED, CONDITION = "A", "B", "C"


@dataclass(frozen=True)
class Detail:
    """A figure quoted by the page: `sql` returns the rule's labels and one `value`."""

    ref_id: str
    sql: str


@dataclass(frozen=True)
class Rule:
    """One alert rule: `sql` returns label columns and one numeric column named `value`."""

    uid: str
    title: str
    group: str
    sql: str
    evaluator: Evaluator
    threshold: float
    #: `critical` pages the duty officers; may be a template taking a row's column.
    severity: str
    summary: str
    description: str
    #: The dashboard to open (uid).
    dashboard_uid: str
    #: The link a page carries (a template: `{{ externalURL }}`, labels as `var-` values).
    link: str
    #: Seconds of data the query looks at ($__timeFilter / $__fromTime).
    window_s: int = 600
    pending: str = "2m"
    #: What an empty result means: "OK" for per-row rules, "Alerting" where silence is
    #: itself the failure (nothing ingested, no worker reporting).
    no_data: NoData = "OK"
    details: tuple[Detail, ...] = ()
    extra_labels: dict[str, str] = field(default_factory=dict)


def _data_query(ref_id: str, sql: str, window_s: int) -> d.Json:
    query = d.clickhouse_query(sql, ref_id=ref_id, shape="table")
    query.pop("datasource")
    return {
        "refId": ref_id,
        "relativeTimeRange": {"from": window_s, "to": 0},
        "datasourceUid": d.DATASOURCE_UID,
        "model": {**query, "intervalMs": 1000, "maxDataPoints": 43200},
    }


def _reduce(ref_id: str, expression: str) -> d.Json:
    return {
        "refId": ref_id,
        "relativeTimeRange": {"from": 0, "to": 0},
        "datasourceUid": EXPRESSION_DATASOURCE,
        "model": {
            "refId": ref_id,
            "type": "reduce",
            "expression": expression,
            "reducer": "last",
            "settings": {"mode": "dropNN"},
        },
    }


def reduced_ref(detail: Detail) -> str:
    """The refId under which a detail's reduced value is quoted (`$values.<ref>`)."""
    return f"{detail.ref_id}last"


def rule_queries(rule: Rule) -> list[d.Json]:
    """The rule's data: query A, reduce B, threshold C, then each detail and its reduction."""
    data = [
        _data_query(QUERY, rule.sql, rule.window_s),
        _reduce(REDUCED, QUERY),
        {
            "refId": CONDITION,
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPRESSION_DATASOURCE,
            "model": {
                "refId": CONDITION,
                "type": "threshold",
                "expression": REDUCED,
                "conditions": [{"evaluator": {"type": rule.evaluator, "params": [rule.threshold]}}],
            },
        },
    ]
    for detail in rule.details:
        data.append(_data_query(detail.ref_id, detail.sql, rule.window_s))
        data.append(_reduce(reduced_ref(detail), detail.ref_id))
    return data


def rule_labels(rule: Rule) -> dict[str, str]:
    return {"team": "cityops", "severity": rule.severity, **rule.extra_labels}


def rule_annotations(rule: Rule) -> dict[str, str]:
    return {
        "summary": rule.summary,
        "description": rule.description,
        "__dashboardUid__": rule.dashboard_uid,
        "runbook_url": rule.link,
    }

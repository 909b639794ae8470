"""Every alert rule Grafana evaluates, and who evaluates what.

One evaluator per condition. The stream workers evaluate every domain condition (overdue,
due soon, payment failure rate, source silence, on-time rate, satisfaction) with the
thresholds of `cityops/settings.py` `streams`, and write each alert as a row of `alerts`;
Grafana does not judge those again: it pages from the workers' rows, one page per agency
and kind (`pages`). Grafana evaluates only what the workers cannot say about themselves:
whether the pipeline is fresh, keeping up and writing (`pipeline`), with the thresholds of
`dashboards/targets.py`.
"""

from __future__ import annotations

from dashboards.alerting import pages, pipeline
from dashboards.alerting.model import (
    EXPRESSION_DATASOURCE,
    Rule,
    rule_annotations,
    rule_labels,
    rule_queries,
)

RULES: tuple[Rule, ...] = (*pages.RULES, *pipeline.RULES)

__all__ = [
    "EXPRESSION_DATASOURCE",
    "RULES",
    "Rule",
    "rule_annotations",
    "rule_labels",
    "rule_queries",
]

"""What must hold of every generated query, and the list of queries to hold it to.

Grafana is not needed to prove a dashboard: the tests expand each panel, variable and
alert-rule query with `dashboards.macros`, run it on ClickHouse, and check here that the
result has the shape its panel or rule reads (a stat one number, a time series a `time`
column and numbers, an alert rule string labels and one numeric `value`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from dashboards import defaults as d
from dashboards.alerting.rules import RULES
from dashboards.boards import build_all

Kind = Literal["single", "timeseries", "table", "variable", "alert"]

_NUMERIC = re.compile(r"^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*)\)?$")
_DATETIME = re.compile(r"^(Nullable\()?(DateTime|DateTime64)(\(.*\))?\)?$")
_STRING = re.compile(r"^(Nullable\()?(LowCardinality\()?String\)?\)?$")


@dataclass(frozen=True)
class Query:
    """One query a dashboard or rule sends, with where it comes from and what it must return."""

    origin: str
    sql: str
    kind: Kind


def _panel_kind(panel: d.Panel) -> Kind:
    if panel["type"] == "stat":
        return "single"
    if panel["type"] == "timeseries":
        return "timeseries"
    return "table"


def dashboard_queries(board: d.Json) -> Iterator[Query]:
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            origin = f"{board['uid']} / {panel['title']} / {target['refId']}"
            yield Query(origin, target["rawSql"], _panel_kind(panel))


def variable_queries(board: d.Json) -> Iterator[tuple[str, Query]]:
    """(variable name, its query) for every query variable of a dashboard."""
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            origin = f"{board['uid']} / ${variable['name']}"
            yield variable["name"], Query(origin, variable["query"], "variable")


def alert_queries() -> Iterator[Query]:
    """Each rule's query and the detail queries its page quotes."""
    for rule in RULES:
        yield Query(f"alert {rule.uid}", rule.sql, "alert")
        for detail in rule.details:
            yield Query(f"alert {rule.uid} / {detail.ref_id}", detail.sql, "alert")


def all_queries() -> list[Query]:
    """Every query of every dashboard, variable and alert rule."""
    queries: list[Query] = []
    for board in build_all():
        queries.extend(dashboard_queries(board))
        queries.extend(q for _, q in variable_queries(board))
    queries.extend(alert_queries())
    return queries


def is_numeric(ch_type: str) -> bool:
    return bool(_NUMERIC.match(ch_type))


def shape_problems(
    kind: Kind, columns: Sequence[tuple[str, str]], rows: Sequence[object]
) -> list[str]:
    """Why a result does not fit what reads it; empty when it fits.

    `columns` are (name, ClickHouse type) pairs as clickhouse-driver and chdb report them.
    """
    names = [name for name, _ in columns]
    types = [ch_type for _, ch_type in columns]
    problems: list[str] = []
    if len(set(names)) != len(names):
        problems.append(f"duplicate column names {names}")
    if kind == "single":
        if len(columns) != 1 or not is_numeric(types[0]):
            problems.append(f"a stat needs one numeric column, got {columns}")
        if len(rows) > 1:
            problems.append(f"a stat needs at most one row, got {len(rows)}")
    elif kind == "timeseries":
        if not names or names[0] != "time" or not _DATETIME.match(types[0]):
            problems.append(f"a time series needs a DateTime `time` first, got {columns}")
        values = [t for t in types[1:] if not _STRING.match(t)]
        if not values or not all(is_numeric(t) for t in values):
            problems.append(f"a time series needs numeric value columns, got {columns}")
    elif kind == "table":
        if not columns:
            problems.append("a table needs columns")
    elif kind == "variable":
        # The plugin takes one column as value and text, or (value, text).
        if len(columns) not in (1, 2):
            problems.append(f"a variable query needs (value[, text]) columns, got {columns}")
    elif kind == "alert":
        if names.count("value") != 1 or not is_numeric(types[names.index("value")]):
            problems.append(f"an alert query needs one numeric `value`, got {columns}")
        labels = [t for n, t in columns if n != "value"]
        if not all(_STRING.match(t) for t in labels):
            problems.append(f"an alert query's other columns must be string labels: {columns}")
    return problems

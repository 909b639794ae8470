"""House defaults for every cityops dashboard: datasource, query shape, panel builders.

Panels are plain JSON-able dicts in Grafana's dashboard model (schemaVersion 39, Grafana
11). Every panel and query names the one provisioned ClickHouse datasource by uid, so a
dashboard works in any Grafana where `cityops dashboards render` provisioning was applied.
Units, colours and threshold steps are set here once; panel modules only say what to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from dashboards.columns import Column, overrides
from dashboards.grid import layout

Json = dict[str, Any]
Panel = Json

#: The provisioned datasource (see `dashboards.provisioning.datasource`).
DATASOURCE_UID = "cityops-clickhouse"
DATASOURCE_TYPE = "grafana-clickhouse-datasource"
DATASOURCE_NAME = "cityops ClickHouse"
DATASOURCE: Json = {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}
#: The ClickHouse plugin release the queries are written for (and the Grafana image bakes in).
PLUGIN_VERSION = "4.20.0"
#: The Grafana release the dashboards target (and compose runs): the latest 11.6 patch.
GRAFANA_VERSION = "11.6.16"

SCHEMA_VERSION = 39
DASHBOARD_TIMEZONE = "Asia/Ho_Chi_Minh"
TAGS = ("cityops",)

# Units (Grafana unit ids).
COUNT = "short"
RATIO = "percentunit"
HOURS = "h"
DAYS = "d"
SECONDS = "s"
#: Money: queries return millions of dong (`MILLION`), shown with the viewer's thousands
#: grouping ("1.235" on a Vietnamese browser) and the unit in the title (triệu ₫); Grafana's
#: own `currencyVND` scales ("1.23 Bđ") but groups nothing.
LOCALE = "locale"
MILLION = 1_000_000
POINTS = "none"

# Query formats of the ClickHouse plugin (its `Format` enum).
FORMAT_TIMESERIES = 0
FORMAT_TABLE = 1

#: Shape of the result a panel expects; the live-query proof checks it.
Shape = Literal["single", "timeseries", "table"]


def clickhouse_query(sql: str, *, ref_id: str = "A", shape: Shape = "table") -> Json:
    """A raw-SQL target of the ClickHouse plugin; `shape` picks the plugin's result format."""
    return {
        "refId": ref_id,
        "datasource": dict(DATASOURCE),
        "editorType": "sql",
        "queryType": "timeseries" if shape == "timeseries" else "table",
        "format": FORMAT_TIMESERIES if shape == "timeseries" else FORMAT_TABLE,
        "rawSql": _dedent(sql),
        "pluginVersion": PLUGIN_VERSION,
    }


def _dedent(sql: str) -> str:
    lines = [line.rstrip() for line in sql.strip("\n").splitlines()]
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(line[indent:] for line in lines).strip()


def steps(*pairs: tuple[float | None, str]) -> Json:
    """Absolute threshold steps; the first pair's value must be None (the base colour)."""
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for value, color in pairs],
    }


#: Neutral: a count with no good or bad side.
NEUTRAL = steps((None, "blue"))


def rate_steps(target: float, warn_ratio: float = 0.9) -> Json:
    """Red under `warn_ratio` x target, orange up to the target, green from it."""
    return steps((None, "red"), (round(target * warn_ratio, 4), "orange"), (target, "green"))


def limit_steps(limit: float) -> Json:
    """Green under a limit, red from it (overdue counts, failure rates, hours late)."""
    return steps((None, "green"), (limit, "red"))


def _field_config(unit: str, thresholds: Json, decimals: int | None, custom: Json) -> Json:
    defaults: Json = {"unit": unit, "thresholds": thresholds, "color": {"mode": "thresholds"}}
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom:
        defaults["custom"] = custom
    return {"defaults": defaults, "overrides": []}


def _panel(
    kind: str,
    title: str,
    description: str,
    targets: Sequence[Json],
    *,
    unit: str,
    thresholds: Json,
    decimals: int | None,
    options: Json,
    custom: Json | None = None,
    width: int,
    height: int,
) -> Panel:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "targets": list(targets),
        "fieldConfig": _field_config(unit, thresholds, decimals, custom or {}),
        "options": options,
        "transparent": False,
        "transformations": [],
        "pluginVersion": GRAFANA_VERSION,
        # Only the size is meant here; `layout()` sets x and y when the board is assembled.
        "gridPos": {"x": 0, "y": 0, "w": width, "h": height},
    }


def stat(
    title: str,
    description: str,
    sql: str,
    *,
    unit: str = COUNT,
    thresholds: Json = NEUTRAL,
    decimals: int | None = None,
    width: int = 4,
    height: int = 4,
) -> Panel:
    """One big number: the query must return a single row with one numeric column."""
    options: Json = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "auto",
        "textMode": "value",
        "colorMode": "background",
        "graphMode": "none",
        "justifyMode": "center",
        "wideLayout": True,
        "showPercentChange": False,
        "percentChangeColorMode": "standard",
    }
    return _panel(
        "stat",
        title,
        description,
        [clickhouse_query(sql, shape="single")],
        unit=unit,
        thresholds=thresholds,
        decimals=decimals,
        options=options,
        width=width,
        height=height,
    )


def timeseries(
    title: str,
    description: str,
    sql: str,
    *,
    unit: str = COUNT,
    thresholds: Json = NEUTRAL,
    stacked: bool = False,
    width: int = 12,
    height: int = 8,
) -> Panel:
    """Lines over time: the query returns a `time` column and one or more numeric columns."""
    custom: Json = {
        "drawStyle": "line",
        "lineWidth": 2,
        "fillOpacity": 15 if stacked else 0,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
        "thresholdsStyle": {"mode": "off"},
    }
    options: Json = {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return _panel(
        "timeseries",
        title,
        description,
        [clickhouse_query(sql, shape="timeseries")],
        unit=unit,
        thresholds=thresholds,
        decimals=None,
        options=options,
        custom=custom,
        width=width,
        height=height,
    )


def table(
    title: str,
    description: str,
    sql: str,
    *,
    columns: dict[str, Column] | None = None,
    width: int = 12,
    height: int = 8,
) -> Panel:
    """Rows to read: worst agencies, open dossiers, firing alerts.

    `columns` gives headers, units, coloured cells and links per result column; columns not
    named there show as the query names them, uncoloured.
    """
    options: Json = {
        "frameIndex": 0,
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": []},
    }
    panel = _panel(
        "table",
        title,
        description,
        [clickhouse_query(sql, shape="table")],
        unit=COUNT,
        thresholds=NEUTRAL,
        decimals=None,
        options=options,
        custom={"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False},
        width=width,
        height=height,
    )
    panel["fieldConfig"]["overrides"] = overrides(columns or {})
    return panel


def bargauge(
    title: str,
    description: str,
    sql: str,
    *,
    unit: str = RATIO,
    thresholds: Json = NEUTRAL,
    max_value: float | None = None,
    width: int = 12,
    height: int = 8,
) -> Panel:
    """A ranked bar per row (agency, area): the query returns a name column and one number."""
    options: Json = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
        "orientation": "horizontal",
        "displayMode": "gradient",
        "showUnfilled": True,
        "valueMode": "color",
        "minVizHeight": 16,
        "minVizWidth": 8,
        "maxVizHeight": 300,
        "namePlacement": "auto",
        "sizing": "auto",
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False, "calcs": []},
    }
    panel = _panel(
        "bargauge",
        title,
        description,
        [clickhouse_query(sql, shape="table")],
        unit=unit,
        thresholds=thresholds,
        decimals=None,
        options=options,
        width=width,
        height=height,
    )
    panel["fieldConfig"]["defaults"]["min"] = 0
    if max_value is not None:
        panel["fieldConfig"]["defaults"]["max"] = max_value
    return panel


def row(title: str) -> Panel:
    """A full-width section header."""
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
    }


def query_variable(
    name: str, label: str, sql: str, *, multi: bool = True, include_all: bool = True
) -> Json:
    """A template variable filled by a ClickHouse query returning (value, text) columns.

    The plugin takes the first column as the value put into queries and the second as the
    text shown in the picker, so people pick names and queries get codes.
    """
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": dict(DATASOURCE),
        "query": _dedent(sql),
        "refresh": 1,
        "sort": 1,
        "multi": multi,
        "includeAll": include_all,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
        "skipUrlSync": False,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: Iterable[Panel],
    *,
    variables: Sequence[Json] = (),
    time_from: str = "now/d",
    refresh: str = "1m",
    links: Sequence[Json] = (),
) -> Json:
    """A whole dashboard in Grafana's JSON model, in the local time zone of the province."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": list(TAGS),
        "timezone": DASHBOARD_TIMEZONE,
        "editable": False,
        "graphTooltip": 1,
        "time": {"from": time_from, "to": "now"},
        "refresh": refresh,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "monday",
        "links": list(links),
        "annotations": {"list": []},
        "templating": {"list": list(variables)},
        "panels": layout(panels),
    }


def dashboard_link(title: str) -> Json:
    """A dropdown of every cityops dashboard (by tag), so the wall links to the drill-downs."""
    return {
        "type": "dashboards",
        "title": title,
        "tags": list(TAGS),
        "asDropdown": True,
        "includeVars": True,
        "keepTime": True,
        "targetBlank": False,
        "icon": "external link",
        "tooltip": "",
        "url": "",
    }

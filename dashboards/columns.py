"""How a table shows its columns: a header people read, a unit, colour, a link to follow.

A table query names its columns in snake_case English (`on_time_rate`); on the wall the
header is Vietnamese (`Đúng hạn`), the cell is coloured from the column's thresholds (so a
bad rate is red from across the room) and a link opens the drill-down on that row. Grafana
does all of this with per-column overrides, built here from one small spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboards.uids import DOSSIERS

Json = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """Display of one result column; only what is set becomes an override."""

    header: str | None = None
    unit: str | None = None
    #: Threshold steps (`defaults.steps`); the cell background takes their colour.
    thresholds: Json | None = None
    #: A data link (`data_link`) followed by clicking the cell.
    link: Json | None = None
    #: Carried for links (a code) but not shown.
    hidden: bool = False
    #: Raw value -> the text shown (a kind's Vietnamese name, a severity level's word).
    texts: tuple[tuple[str, str], ...] = ()


def data_link(title: str, url: str) -> Json:
    """A cell's link; `url` may use `${__data.fields.<column>}` and `${__url_time_range}`.

    Written in the shape the SDK types links with (a dashboard link of type "link"), which
    Grafana reads as a data link: it uses `title`, `url` and `targetBlank`.
    """
    return {
        "title": title,
        "type": "link",
        "url": url,
        "targetBlank": False,
        "asDropdown": False,
        "icon": "external link",
        "includeVars": False,
        "keepTime": True,
        "tags": [],
        "tooltip": "",
    }


def dashboard_url(uid: str, **variables: str) -> str:
    """Path of a cityops dashboard with `var-` parameters, keeping the time range."""
    query = "".join(f"&var-{name}={value}" for name, value in variables.items())
    return f"/d/{uid}?${{__url_time_range}}{query}"


def overrides(columns: dict[str, Column]) -> list[Json]:
    """Grafana field overrides (matched by column name) for every column spec."""
    result = []
    for name, column in columns.items():
        properties: list[Json] = []
        if column.header:
            properties.append({"id": "displayName", "value": column.header})
        if column.unit:
            properties.append({"id": "unit", "value": column.unit})
        if column.thresholds:
            properties.append({"id": "thresholds", "value": column.thresholds})
            properties.append(
                {"id": "custom.cellOptions", "value": {"type": "color-background", "mode": "basic"}}
            )
        if column.link:
            properties.append({"id": "links", "value": [column.link]})
        if column.texts:
            options = {
                raw: {"text": text, "index": i} for i, (raw, text) in enumerate(column.texts)
            }
            properties.append({"id": "mappings", "value": [{"type": "value", "options": options}]})
        if column.hidden:
            properties.append({"id": "custom.hidden", "value": True})
        if properties:
            result.append({"matcher": {"id": "byName", "options": name}, "properties": properties})
    return result


def linked_agency() -> dict[str, Column]:
    """An `agency` name column that opens that agency's dossiers, and its hidden
    `agency_code` carrying the link: the first step of wall -> agency -> procedure."""
    link = data_link(
        "Hồ sơ của cơ quan", dashboard_url(DOSSIERS, agency="${__data.fields.agency_code}")
    )
    return {"agency_code": Column(hidden=True), "agency": Column("Cơ quan", link=link)}

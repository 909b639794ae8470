"""Every generated dashboard is a valid Grafana dashboard that works with the provisioning."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from dashboards import defaults as d
from dashboards import grid, provisioning
from dashboards.boards import build_all, wall
from dashboards.panels import alerts, health
from dashboards.schema import generate

BOARDS = build_all()
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)")


def _ids(board: dict[str, Any]) -> str:
    return board["uid"]


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


@pytest.mark.parametrize("board", BOARDS, ids=_ids)
def test_dashboard_matches_grafana_schema(board: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(generate.load_schema())
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(board)]
    # anyOf hides why a panel failed; check panels on their own for a readable message.
    panel = jsonschema.Draft7Validator(
        {**generate.load_schema(), "$ref": "#/definitions/dashboard.Panel"}
    )
    for p in _panels(board):
        errors += [
            f"{p['title']}: {list(e.absolute_path)} {e.message[:200]}" for e in panel.iter_errors(p)
        ]
    assert not errors, "\n".join(errors)


def test_schema_rejects_what_grafana_would_not_load() -> None:
    """The schema is strict enough to matter: a misspelt key and a wrong type both fail."""
    validator = jsonschema.Draft7Validator(generate.load_schema())
    board = build_all()[0]
    assert validator.is_valid(board)
    misspelt = {**board, "panels": [{**board["panels"][1], "gridpos": {}}]}
    assert not validator.is_valid(misspelt)
    wrong_type = {**board, "refresh": 60}
    assert not validator.is_valid(wrong_type)
    stat = next(p for p in board["panels"] if p["type"] == "stat")
    bad_option = {**stat, "options": {**stat["options"], "colorMode": "rainbow"}}
    assert not validator.is_valid({**board, "panels": [bad_option]})


def test_committed_schema_is_what_the_installed_sdk_gives() -> None:
    pytest.importorskip("grafana_foundation_sdk")
    assert generate.SCHEMA_FILE.read_text(encoding="utf-8") == generate.render(), (
        "run `python -m dashboards.schema.generate` after upgrading grafana-foundation-sdk"
    )


def test_dashboard_uids_are_unique_and_fit_grafana() -> None:
    uids = [b["uid"] for b in BOARDS]
    assert len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", uid) for uid in uids)


@pytest.mark.parametrize("board", BOARDS, ids=_ids)
def test_panel_ids_are_unique(board: dict[str, Any]) -> None:
    ids = [p["id"] for p in board["panels"]]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("board", BOARDS, ids=_ids)
def test_every_panel_and_query_names_the_provisioned_datasource(board: dict[str, Any]) -> None:
    provisioned = provisioning.datasource(provisioning.ClickHouseTarget())
    ref = {"type": provisioned["type"], "uid": provisioned["uid"]}
    for panel in _panels(board):
        assert panel["datasource"] == ref, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"] == ref, panel["title"]
            assert target["rawSql"].strip(), panel["title"]
    for variable in board["templating"]["list"]:
        assert variable["datasource"] == ref, variable["name"]


@pytest.mark.parametrize("board", BOARDS, ids=_ids)
def test_panels_fit_the_grid_without_overlapping(board: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["w"] > 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        mine = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


@pytest.mark.parametrize("board", BOARDS, ids=_ids)
def test_queries_use_only_defined_variables(board: dict[str, Any]) -> None:
    defined = {v["name"] for v in board["templating"]["list"]}
    for panel in _panels(board):
        for target in panel["targets"]:
            used = {a or b for a, b in _VARIABLE.findall(target["rawSql"])}
            assert used <= defined, f"{panel['title']} uses undefined {used - defined}"


def test_layout_wraps_a_panel_that_does_not_fit() -> None:
    wide = d.stat("a", "", "SELECT 1", width=16)
    placed = d.layout([wide, {**wide, "title": "b"}, d.row("r"), wide])
    assert [p["gridPos"]["y"] for p in placed] == [0, 4, 8, 9]
    assert [p["id"] for p in placed] == [1, 2, 3, 4]


def test_layout_stacks_tiles_beside_a_tall_panel_but_never_above_a_row() -> None:
    tile = d.stat("t", "", "SELECT 1", width=6, height=4)
    tall = grid.sized(tile, 12, 8)
    placed = d.layout([tall, tile, tile, tile, tile, d.row("r"), tile])
    assert [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in placed] == [
        (0, 0),
        (12, 0),
        (18, 0),
        (12, 4),
        (18, 4),
        (0, 8),
        (0, 9),
    ]


def test_the_wall_fits_one_1080p_kiosk_screen() -> None:
    board = wall.build()
    rows = grid.rows_on_screen(wall.SCREEN_HEIGHT_PX)
    assert grid.bottom(board["panels"]) <= rows, (
        f"the wall is {grid.bottom(board['panels'])} grid rows; {rows} fit 1080 px"
    )
    assert grid.height_px(rows) + grid.KIOSK_PADDING_PX <= 1080 < grid.height_px(rows + 1) + 32


def test_freshness_and_critical_alerts_are_at_the_top_of_the_wall() -> None:
    top = {p["title"] for p in wall.build()["panels"] if p["gridPos"]["y"] == 0}
    assert {
        health.freshness()["title"],
        alerts.critical_firing()["title"],
        alerts.pages()["title"],
    } <= top


def test_wall_titles_are_vietnamese_with_english_descriptions() -> None:
    for panel in _panels(wall.build()):
        assert re.search(r"[À-ỹĐđ]", panel["title"]), f"{panel['title']} is not Vietnamese"
        assert re.match(r"[A-Z0-9][\x00-\x7f]*?:", panel["description"]), panel["title"]


def test_variables_pick_names_and_send_codes() -> None:
    for board in BOARDS:
        for variable in board["templating"]["list"]:
            select = variable["query"].split("FROM")[0]
            assert select.count(",") == 1, f"{variable['name']}: (code, name) columns"


def test_the_docs_show_the_wall_as_it_is() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "dashboards.md"
    assert grid.text_capture(wall.build()["panels"]) in docs.read_text(encoding="utf-8"), (
        "docs/dashboards.md: paste the output of `cityops dashboards layout`"
    )

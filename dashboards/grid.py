"""Grafana's 24-column grid: packing panels into it, and what fits on one screen.

Grafana draws a grid unit 30 px high with 8 px between units, so a board `rows` units tall
takes `rows * 38 - 8` px. The wall runs in kiosk mode (no menus) on a 1920x1080 screen with
the dashboard's own padding above and below; `rows_on_screen` is how many grid units fit
there, and a test holds the wall to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COLUMNS = 24
#: Grafana's GRID_CELL_HEIGHT and GRID_CELL_VMARGIN (px).
CELL_HEIGHT_PX = 30
CELL_MARGIN_PX = 8
#: Padding Grafana keeps around a dashboard in kiosk mode, top plus bottom (px).
KIOSK_PADDING_PX = 32

Panel = dict[str, Any]


def height_px(rows: int) -> int:
    """Pixels a stack of `rows` grid units takes on screen."""
    return rows * (CELL_HEIGHT_PX + CELL_MARGIN_PX) - CELL_MARGIN_PX if rows else 0


def rows_on_screen(screen_height_px: int) -> int:
    """Grid units that fit a kiosk screen this tall, without scrolling."""
    rows = 0
    while height_px(rows + 1) + KIOSK_PADDING_PX <= screen_height_px:
        rows += 1
    return rows


def bottom(panels: Iterable[Panel]) -> int:
    """The grid row under the lowest panel: the board's height in units."""
    return max((p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels), default=0)


def layout(panels: Iterable[Panel]) -> list[Panel]:
    """Pack panels into the grid in order and number them from 1.

    Each panel carries its wanted width and height and goes to the highest, then leftmost,
    free place below the last row header; so short tiles stack beside a tall table instead
    of leaving holes. A row header always spans the grid under everything placed so far.
    """
    taken: set[tuple[int, int]] = set()
    placed: list[Panel] = []
    floor = 0
    for panel_id, panel in enumerate(panels, start=1):
        w, h = panel["gridPos"]["w"], panel["gridPos"]["h"]
        if panel["type"] == "row":
            x, y = 0, bottom(placed)
            floor = y + h
        else:
            x, y = _first_free(taken, floor, w, h)
        taken |= {(cx, cy) for cx in range(x, x + w) for cy in range(y, y + h)}
        placed.append({**panel, "id": panel_id, "gridPos": {"x": x, "y": y, "w": w, "h": h}})
    return placed


def _first_free(taken: set[tuple[int, int]], floor: int, w: int, h: int) -> tuple[int, int]:
    y = floor
    while True:
        for x in range(COLUMNS - w + 1):
            cells = {(cx, cy) for cx in range(x, x + w) for cy in range(y, y + h)}
            if not cells & taken:
                return x, y
        y += 1


def sized(panel: Panel, width: int, height: int) -> Panel:
    """The panel with another size, for a board that packs it tighter than its default."""
    return {**panel, "gridPos": {**panel["gridPos"], "w": width, "h": height}}


def text_capture(panels: Iterable[Panel], *, cell: int = 3) -> str:
    """The grid as text: one line per grid row, one letter per panel, then the legend."""
    panels = [p for p in panels if p["type"] != "row"]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    lines = [[" " * cell] * COLUMNS for _ in range(bottom(panels))]
    for letter, panel in zip(letters, panels, strict=False):
        pos = panel["gridPos"]
        for y in range(pos["y"], pos["y"] + pos["h"]):
            for x in range(pos["x"], pos["x"] + pos["w"]):
                lines[y][x] = letter * cell
    grid = ["|" + "".join(line) + "|" for line in lines]
    legend = [
        f"{letter}  {p['title']} ({p['type']}, {p['gridPos']['w']}x{p['gridPos']['h']})"
        for letter, p in zip(letters, panels, strict=False)
    ]
    return "\n".join([*grid, "", *legend])

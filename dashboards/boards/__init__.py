"""Every dashboard cityops ships, by uid; a new board is one module and one line here."""

from __future__ import annotations

from collections.abc import Callable

from dashboards.boards import dossiers, payments, pipeline, portal, wall
from dashboards.defaults import Json

BUILDERS: dict[str, Callable[[], Json]] = {
    wall.UID: wall.build,
    dossiers.UID: dossiers.build,
    payments.UID: payments.build,
    portal.UID: portal.build,
    pipeline.UID: pipeline.build,
}


def build_all() -> list[Json]:
    """Every dashboard, in a stable order."""
    return [build() for build in BUILDERS.values()]

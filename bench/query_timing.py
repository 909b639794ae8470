"""The queries `make bench-queries` times, and how one timing pass runs.

Every rendered dashboard panel, template variable and alert-rule query, expanded with the
same macro expander the live-query tests use, over two ranges: the last 30 days (a 30-minute
`$__interval`, what Grafana picks for a wide panel) and today (local midnight to now, one
minute). Variables select "All", their options read from the database like Grafana does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cityops.db.tables import VIEWS
from cityops.settings import LOCAL_TZ
from dashboards.boards import build_all, wall
from dashboards.macros import ALL, QueryContext, expand
from dashboards.proof import alert_queries, dashboard_queries, variable_queries

RANGES = ("30 days", "today")
_VIEW = re.compile(r"\b(" + "|".join(sorted(VIEWS, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class TimedQuery:
    origin: str
    sql: str
    on_wall: bool


def context(range_name: str, now: datetime, **variables: Any) -> QueryContext:
    if range_name == "today":
        local = now.astimezone(ZoneInfo(LOCAL_TZ))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return QueryContext(midnight.astimezone(UTC), now, 60, **variables)
    return QueryContext(now - timedelta(days=30), now, 1800, **variables)


def queries(client: Any, range_name: str, now: datetime) -> list[TimedQuery]:
    """Every query expanded for `range_name`; variable options come from `client`."""
    out: list[TimedQuery] = []
    for board in build_all():
        on_wall = board["uid"] == wall.UID
        options: dict[str, list[str]] = {}
        for name, query in variable_queries(board):
            sql = expand(query.sql, context(range_name, now))
            options[name] = [str(r[0]) for r in client.execute(sql)]
            out.append(TimedQuery(query.origin, sql, on_wall))
        ctx = context(range_name, now, variables={n: [ALL] for n in options}, options=options)
        out += [TimedQuery(q.origin, expand(q.sql, ctx), on_wall) for q in dashboard_queries(board)]
    out += [
        TimedQuery(q.origin, expand(q.sql, context(range_name, now)), False)
        for q in alert_queries()
    ]
    return out


def on_database(sql: str, views_database: str) -> str:
    """The query with every read-API view read from `views_database` (today's views)."""
    return _VIEW.sub(lambda m: f"{views_database}.{m.group(1)}", sql)


@dataclass
class Pass:
    """The timings of one way of answering the queries (new aggregates or today's views)."""

    label: str
    seconds: dict[str, list[float]] = field(default_factory=dict)
    wall_refresh: list[float] = field(default_factory=list)
    timed_out: set[str] = field(default_factory=set)

    def all_times(self) -> list[float]:
        return sorted(t for times in self.seconds.values() for t in times)

    def slowest(self, n: int = 3) -> list[tuple[str, float]]:
        worst = {origin: max(times) for origin, times in self.seconds.items()}
        return sorted(worst.items(), key=lambda kv: -kv[1])[:n]


def run_round(
    client: Any,
    timed: list[TimedQuery],
    result: Pass,
    settings: dict[str, Any],
    rewrite: str | None = None,
) -> None:
    """Each query once, one after the other (a wall refresh as one browser would send it)."""
    wall_total = 0.0
    for query in timed:
        sql = on_database(query.sql, rewrite) if rewrite else query.sql
        began = time.perf_counter()
        try:
            client.execute(sql, settings=settings)
        except Exception as error:  # a timeout of today's views is a result, not a failure
            if "TIMEOUT_EXCEEDED" not in str(error) and "Timeout exceeded" not in str(error):
                raise
            result.timed_out.add(query.origin)
        took = time.perf_counter() - began
        result.seconds.setdefault(query.origin, []).append(took)
        if query.on_wall:
            wall_total += took
    result.wall_refresh.append(wall_total)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(share * len(values) + 0.5)))
    return values[rank - 1]

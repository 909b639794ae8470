"""The queries `make bench-queries` times, and how one timing pass runs.

Every rendered dashboard panel, template variable and alert-rule query, expanded with the
same macro expander the live-query tests use, over two ranges: the last 30 days (a 30-minute
`$__interval`, what Grafana picks for a wide panel) and today (local midnight to now, one
minute). Variables select "All", their options read from the database like Grafana does.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
#: Data requests a Grafana 11.6 browser tab keeps in flight at once when Grafana is served
#: over HTTP/1.1 (its `FetchQueueWorker`: 5, or 1000 over HTTP/2); each panel is one request,
#: and the ClickHouse plugin (4.20) allows 50 open connections per datasource, so the tab's
#: limit is the one that counts. The compose stack serves plain HTTP.
GRAFANA_PARALLEL_REQUESTS = 5
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
    #: The wall's queries sent `GRAFANA_PARALLEL_REQUESTS` at a time, as a browser tab does.
    wall_concurrent: list[float] = field(default_factory=list)
    timed_out: set[str] = field(default_factory=set)
    #: Queries the baseline's views cannot answer (a column they lack).
    incomparable: set[str] = field(default_factory=set)

    def all_times(self) -> list[float]:
        return sorted(t for times in self.seconds.values() for t in times if t == t)

    def slowest(self, n: int = 3) -> list[tuple[str, float]]:
        worst = {
            origin: max(times)
            for origin, times in self.seconds.items()
            if origin not in self.incomparable
        }
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
        took = _timed_execute(client, query, result, settings, rewrite)
        result.seconds.setdefault(query.origin, []).append(took)
        if query.on_wall and took == took:  # NaN: not comparable
            wall_total += took
    result.wall_refresh.append(wall_total)


def _timed_execute(
    client: Any, query: TimedQuery, result: Pass, settings: dict[str, Any], rewrite: str | None
) -> float:
    sql = on_database(query.sql, rewrite) if rewrite else query.sql
    began = time.perf_counter()
    try:
        client.execute(sql, settings=settings)
    except Exception as error:  # a timeout of today's views is a result, not a failure
        if rewrite and ("Unknown identifier" in str(error) or "doesn't exist" in str(error)):
            # A column or a view added after the query-time views (v_pipeline_health's sink
            # columns, v_payment_provider_minute): not comparable, left out of the baseline's
            # figures.
            result.incomparable.add(query.origin)
            return float("nan")
        if "TIMEOUT_EXCEEDED" not in str(error) and "Timeout exceeded" not in str(error):
            raise
        result.timed_out.add(query.origin)
    return time.perf_counter() - began


def run_wall_concurrent(
    connect: Callable[[], Any],
    timed: list[TimedQuery],
    result: Pass,
    settings: dict[str, Any],
    rewrite: str | None = None,
    parallel: int = GRAFANA_PARALLEL_REQUESTS,
) -> None:
    """The wall's queries `parallel` at a time, each worker on its own connection: the time
    until the last panel has its data, as a browser tab would see a full refresh."""
    local = threading.local()
    clients: list[Any] = []

    def run(query: TimedQuery) -> float:
        if not hasattr(local, "client"):
            local.client = connect()
            clients.append(local.client)
        return _timed_execute(local.client, query, result, settings, rewrite)

    wall = [q for q in timed if q.on_wall]
    began = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(run, wall))
    result.wall_concurrent.append(time.perf_counter() - began)
    for client in clients:
        client.disconnect()


@dataclass(frozen=True)
class Cost:
    """What one query read, from `system.query_log` (EXPLAIN says little on 18.16)."""

    origin: str
    seconds: float
    read_rows: int
    read_bytes: int
    memory_bytes: int


def costs(client: Any, timed: list[TimedQuery], settings: dict[str, Any]) -> list[Cost]:
    """Each query once with the query log on; the rows, bytes and memory it took, slowest
    first."""
    ran: dict[str, tuple[str, float]] = {}
    for query in timed:
        query_id = uuid.uuid4().hex
        began = time.perf_counter()
        client.execute(query.sql, settings={**settings, "log_queries": 1}, query_id=query_id)
        ran[query_id] = (query.origin, time.perf_counter() - began)
    ids = ", ".join(f"'{i}'" for i in ran)
    logged: dict[str, tuple[int, int, int]] = {}
    # The log is flushed every 7.5 s by default; `type` 2 is QueryFinish (UInt8 on 18.16).
    deadline = time.monotonic() + 30
    while len(logged) < len(ran) and time.monotonic() < deadline:
        time.sleep(1)
        try:
            rows = client.execute(
                "SELECT query_id, read_rows, read_bytes, memory_usage FROM system.query_log "
                f"WHERE type = 2 AND query_id IN ({ids})"
            )
        except Exception as error:  # created by the first flush
            if "doesn't exist" not in str(error):
                raise
            continue
        logged = {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    out = [
        Cost(origin, took, *logged.get(query_id, (-1, -1, -1)))
        for query_id, (origin, took) in ran.items()
    ]
    return sorted(out, key=lambda c: -c.seconds)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(share * len(values) + 0.5)))
    return values[rank - 1]

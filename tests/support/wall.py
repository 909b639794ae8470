"""The wall's queries as Grafana sends them, and a poller that runs them while a fault is
injected: shared by the replica-kill and the Grafana-failover fault tests."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from clickhouse_driver.errors import NetworkError, SocketTimeoutError

from dashboards.boards import wall
from dashboards.macros import ALL, QueryContext, expand
from dashboards.proof import dashboard_queries, variable_queries

#: What clickhouse-go reports to Go's database/sql as `driver.ErrBadConn` (EOF, resets,
#: network errors), as clickhouse-driver raises it: database/sql then runs the query again
#: on a new connection, so Grafana's plugin does too.
BROKEN_CONNECTION = (EOFError, ConnectionError, NetworkError, SocketTimeoutError)


def wall_queries(client: Any, now: datetime) -> list[tuple[str, str]]:
    """The wall's panel and variable queries as Grafana sends them ($__ macros expanded,
    every variable at "All", its options listed by its own query)."""
    board = wall.build()
    window = {
        "time_from": now - timedelta(days=7),
        "time_to": now + timedelta(minutes=1),
        "interval_s": 300,
    }
    variables = list(variable_queries(board))
    options = {
        name: [str(r[0]) for r in client.execute(expand(q.sql, QueryContext(**window)))]
        for name, q in variables
    }
    ctx = QueryContext(**window, variables={n: [ALL] for n in options}, options=options)
    queries = [q for _, q in variables] + list(dashboard_queries(board))
    return [(q.origin, expand(q.sql, ctx)) for q in queries]


class WallPoller:
    """Runs every wall query through one client in a loop; any failure is kept, not raised.

    `retry_broken`: a query whose connection broke is run once more on a new connection,
    as Grafana's database/sql pool does (BROKEN_CONNECTION); without it, every error counts.
    `longest_gap` is the longest time between two answered queries."""

    def __init__(self, client: Any, queries: list[tuple[str, str]], *, retry_broken: bool = False):
        self.client, self.queries = client, queries
        self.retry_broken = retry_broken
        self.rounds = 0
        self.retried = 0
        self.failures: list[str] = []
        self.longest_gap = 0.0
        self._last_answer = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _execute(self, sql: str) -> None:
        try:
            self.client.execute(sql)
        except BROKEN_CONNECTION:
            if not self.retry_broken:
                raise
            self.retried += 1
            self.client.disconnect()
            self.client.execute(sql)

    def _run(self) -> None:
        while not self._stop.is_set():
            for origin, sql in self.queries:
                try:
                    self._execute(sql)
                except Exception as error:  # recorded: the assertion names the query
                    self.failures.append(f"{origin}: {str(error).splitlines()[0]}")
                else:
                    now = time.monotonic()
                    self.longest_gap = max(self.longest_gap, now - self._last_answer)
                    self._last_answer = now
            self.rounds += 1

    def __enter__(self) -> WallPoller:
        self._last_answer = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

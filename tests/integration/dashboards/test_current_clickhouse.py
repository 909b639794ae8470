"""The same queries on current ClickHouse (embedded chdb), so the dashboards keep working
when a deployment runs a ClickHouse release of today (compose pins one) instead of 18.16."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cityops.db.databases import api_database
from cityops.db.sqltext import values
from dashboards.boards import build_all
from dashboards.macros import ALL, QueryContext, expand
from dashboards.proof import alert_queries, dashboard_queries, shape_problems, variable_queries
from dashboards.sql import COARSE_FROM_INTERVAL_S, DAILY_FROM_INTERVAL_S

from .conftest import load_sample

chdb_session = pytest.importorskip("chdb.session")

DATABASE = "cityops"


class ChdbClient:
    """The slice of clickhouse-driver's `Client.execute` that migrations and the proof use."""

    def __init__(self, path: Path) -> None:
        self._session = chdb_session.Session(str(path))

    def execute(self, query: str, rows: Any = None, *, with_column_types: bool = False) -> Any:
        if rows is not None:  # an INSERT ... VALUES with row tuples, as clickhouse-driver takes
            if not rows:
                return []
            query = f"{query} {values(list(rows))}"
        result = self._session.query(query, "JSONCompact")
        text = result.bytes().decode("utf-8") if result is not None else ""
        if not text.strip():
            return ([], []) if with_column_types else []
        payload = json.loads(text)
        rows = payload["data"]
        if with_column_types:
            return rows, [(c["name"], c["type"]) for c in payload["meta"]]
        return rows

    def close(self) -> None:
        self._session.close()


@pytest.fixture(scope="module")
def chdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChdbClient, datetime]]:
    from datetime import UTC

    now = datetime.now(UTC).replace(microsecond=0)
    client = ChdbClient(tmp_path_factory.mktemp("chdb"))
    client.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    load_sample(client, DATABASE, now)
    client.execute(f"USE {api_database(DATABASE)}")
    yield client, now
    client.close()


def _ctx(now: datetime, interval_s: int = 300, **kwargs: Any) -> QueryContext:
    return QueryContext(now - timedelta(days=7), now + timedelta(minutes=1), interval_s, **kwargs)


#: A short interval and wider ones: time series read minute views below
#: COARSE_FROM_INTERVAL_S, hourly ones from it, daily ones from DAILY_FROM_INTERVAL_S
#: (dashboards/sql.py).
@pytest.mark.parametrize("interval_s", [300, COARSE_FROM_INTERVAL_S, DAILY_FROM_INTERVAL_S])
def test_dashboard_queries_run_on_current_clickhouse(
    chdb: tuple[ChdbClient, datetime], interval_s: int
) -> None:
    client, now = chdb
    for board in build_all():
        options = {
            name: [str(r[0]) for r in client.execute(expand(q.sql, _ctx(now)))]
            for name, q in variable_queries(board)
        }
        ctx = _ctx(now, interval_s, variables={n: [ALL] for n in options}, options=options)
        for query in dashboard_queries(board):
            rows, columns = client.execute(expand(query.sql, ctx), with_column_types=True)
            assert not shape_problems(query.kind, columns, rows), query.origin


def test_alert_queries_run_on_current_clickhouse(chdb: tuple[ChdbClient, datetime]) -> None:
    client, now = chdb
    for query in alert_queries():
        rows, columns = client.execute(expand(query.sql, _ctx(now)), with_column_types=True)
        assert not shape_problems("alert", columns, rows), query.origin
        assert rows or query.origin.endswith("silent"), f"{query.origin} found nothing"

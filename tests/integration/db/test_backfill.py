"""Upgrading a live deployment to the aggregates: figures before == figures after, on both
ClickHouse versions; the backfill is safe to re-run and to overlap with new inserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cityops.db import dossier_history, migrate
from cityops.db.backfill import backfill
from cityops.db.tables import (
    V_BUSINESS_REGISTRATION,
    V_DOSSIER_DAILY,
    V_DOSSIER_MINUTE,
    V_PAYMENT_DAILY,
    V_PAYMENT_MINUTE,
    V_PIPELINE_HEALTH,
    V_PORTAL_DAILY,
    V_PORTAL_MINUTE,
    views_database,
)
from streams.sink.rows import raw_row

from .conftest import (
    PAYMENT_EVENTS,
    PORTAL_EVENTS,
    Backend,
    insert,
    load_crafted,
    migrated_backend,
)

#: The last migration before the aggregates: the schema a live deployment upgrades from.
BEFORE_AGGREGATES = 5
COMPARED = (
    V_DOSSIER_MINUTE,
    V_DOSSIER_DAILY,
    V_PAYMENT_MINUTE,
    V_PAYMENT_DAILY,
    V_PORTAL_MINUTE,
    V_PORTAL_DAILY,
    V_PIPELINE_HEALTH,
    V_BUSINESS_REGISTRATION,
)


@pytest.fixture(params=["clickhouse-18.16", "chdb"])
def old_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A database with the schema as it was before the aggregates."""
    yield from migrated_backend(request, BEFORE_AGGREGATES)


#: Columns a view had before the upgrade (later migrations may add some).
BEFORE_COLUMNS = {
    V_PIPELINE_HEALTH: "source, topic, last_occurred_at, last_ingested_at, events_5m, "
    "deadletters, deadletters_5m, lag_at, consumer_lag"
}


def figures(backend: Backend, database: str) -> dict[str, list[tuple[Any, ...]]]:
    """The compared views' rows in `database` (the main one before migration 021 moved the
    views into the reader's database)."""
    out = {}
    for view in COMPARED:
        columns = BEFORE_COLUMNS.get(view, "*")
        rows = backend.client.execute(f"SELECT {columns} FROM {database}.{view}")
        out[view] = sorted((tuple(_rounded(v) for v in row) for row in rows), key=repr)
    return out


def _rounded(value: Any) -> Any:
    """Floats to 6 places (sums in another order); 18.16 tags toStartOfMinute with the
    server's zone where a stored column has none: the same instant either way."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def test_upgrade_keeps_every_figure_and_backfill_is_idempotent(old_backend: Backend) -> None:
    load_crafted(old_backend, kpis=False)
    before = figures(old_backend, old_backend.database)
    assert all(before.values()), "the crafted data should show in every view"

    migrate.migrate(old_backend.client, old_backend.database)
    backfill(old_backend.client, old_backend.database)
    upgraded = views_database(old_backend.database)
    assert figures(old_backend, upgraded) == before

    # A second run (aggregates redone, the dossier history kept) changes nothing.
    backfill(old_backend.client, old_backend.database, again=True)
    assert figures(old_backend, upgraded) == before


def test_the_dossier_backfill_in_several_passes_gives_the_same_figures(
    old_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A country's dossiers are backfilled in passes (bounded memory); 2 per pass here."""
    monkeypatch.setattr(dossier_history, "DOSSIERS_PER_PASS", 2)
    load_crafted(old_backend, kpis=False)
    before = figures(old_backend, old_backend.database)
    migrate.migrate(old_backend.client, old_backend.database)
    backfill(old_backend.client, old_backend.database)
    assert figures(old_backend, views_database(old_backend.database)) == before


def test_events_after_the_upgrade_count_once_with_the_backfilled_history(
    old_backend: Backend,
) -> None:
    """A resent event that arrived before the upgrade and again after it counts once."""
    history = [*PAYMENT_EVENTS[:4], *PORTAL_EVENTS[:5]]
    later = [*PAYMENT_EVENTS[2:], *PORTAL_EVENTS[4:]]
    now = datetime.now(UTC).replace(microsecond=0)
    for offset, event in enumerate(history):
        insert(old_backend, *_row(event, offset, now))
    migrate.migrate(old_backend.client, old_backend.database)
    backfill(old_backend.client, old_backend.database)
    for offset, event in enumerate(later, start=100):
        insert(old_backend, *_row(event, offset, now))

    upgraded = figures(old_backend, views_database(old_backend.database))
    reference_db = _fresh_old_schema(old_backend)
    try:
        for offset, event in enumerate([*history, *later]):
            insert(reference_db, *_row(event, offset, now))
        expected = figures(reference_db, reference_db.database)
    finally:
        reference_db.client.execute(f"DROP DATABASE IF EXISTS {reference_db.database}")
    for view in (V_PAYMENT_DAILY, V_PAYMENT_MINUTE, V_PORTAL_DAILY, V_PORTAL_MINUTE):
        assert upgraded[view] == expected[view], view


def _row(event: Any, offset: int, now: datetime) -> tuple[Any, list[tuple[Any, ...]]]:
    spec, row = raw_row(event, partition=0, offset=offset, ingested_at=now)
    return spec, [row]


def _fresh_old_schema(backend: Backend) -> Backend:
    """Another database on the same server, with the views computed from the raw events."""
    database = f"{backend.database}_old"
    old = [m for m in migrate.discover() if m.version <= BEFORE_AGGREGATES]
    migrate.migrate(backend.client, database, old)
    return Backend(backend.name, backend.client, database)

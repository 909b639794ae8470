"""Migration 021 on a live deployment: the read API moves into the reader's database.

A database with the schema as it was before (every table in the main database, the views
there too) and data in every table is upgraded; each view then shows the same rows from the
reader's database, the materialized views go on filling the moved aggregates, and the local
reader (allowed the reader's database only) reads every view.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cityops.contract import DeadLetter
from cityops.db import migrate
from cityops.db.backfill import backfill
from cityops.db.client import make_client
from cityops.db.tables import (
    ALERTS,
    CONSUMER_LAG,
    DEADLETTERS,
    DOSSIER_BUSINESS_REGISTRATION,
    MV_BUSINESS_REGISTRATION,
    REF_AGENCIES,
    REF_AREAS,
    REF_PROCEDURES,
    SINK_HEALTH,
    V_ALERTS,
    V_BUSINESS_REGISTRATION,
    V_DOSSIER_DAILY,
    V_DOSSIER_MINUTE,
    V_DOSSIER_OPEN,
    V_PAYMENT_DAILY,
    V_PAYMENT_MINUTE,
    V_PIPELINE_HEALTH,
    V_PORTAL_DAILY,
    V_PORTAL_MINUTE,
    VIEWS,
    views_database,
)
from cityops.reference import load_reference
from cityops.settings import REFERENCE_DIR
from streams.sink import SinkMetrics
from streams.sink.rows import (
    alert_row,
    consumer_lag_row,
    deadletter_row,
    raw_row,
    sink_health_rows,
)
from tests.support.accounts import reader_database

from .conftest import (
    PAYMENT_EVENTS,
    READ_API_DATABASE_MIGRATION,
    Backend,
    insert,
    load_crafted,
    migrated_backend,
)
from .test_views import _alert

#: The columns compared per view; v_dossier_open's hours_overdue moves with the clock.
COMPARED: dict[str, str] = {
    V_DOSSIER_MINUTE: "*",
    V_DOSSIER_DAILY: "*",
    V_DOSSIER_OPEN: "dossier_id, agency_code, status, due_at, is_overdue",
    V_PAYMENT_MINUTE: "*",
    V_PAYMENT_DAILY: "*",
    V_PORTAL_MINUTE: "*",
    V_PORTAL_DAILY: "*",
    V_ALERTS: "*",
    V_PIPELINE_HEALTH: "*",
    V_BUSINESS_REGISTRATION: "*",
}


@pytest.fixture(params=["clickhouse-18.16", "chdb"])
def before_021(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A deployment's database before the reader's database existed."""
    yield from migrated_backend(request, READ_API_DATABASE_MIGRATION - 1)


def _fill_every_table(backend: Backend) -> None:
    """Raw events, states, KPIs, open dossiers, alerts, health samples, reference data."""
    load_crafted(backend, business=False)  # workers kept no business rows before 030
    now = datetime.now(UTC).replace(microsecond=0)
    insert(
        backend,
        ALERTS,
        [alert_row(_alert("firing", "2025-03-05T05:00:00Z", "2025-03-05T05:00:00Z"))],
    )
    letter = DeadLetter(
        source="paygov-test", reason="invalid JSON", original_b64="ew==", original_text="{",
        at=now, topic="cityops.payment.v1",
    )  # fmt: skip
    insert(backend, DEADLETTERS, [deadletter_row(letter)])
    insert(backend, CONSUMER_LAG, [consumer_lag_row("w", "cityops.dossier.v1", 0, 1, 5, now)])
    insert(backend, SINK_HEALTH, sink_health_rows("w", SinkMetrics(), 120, at=now))
    reference = load_reference(REFERENCE_DIR)
    for spec, items in (
        (REF_AREAS, reference.areas.values()),
        (REF_AGENCIES, reference.agencies.values()),
        (REF_PROCEDURES, reference.procedures.values()),
    ):
        rows = [tuple(getattr(i, c) for c in spec.column_names) for i in items]
        insert(backend, spec, rows)


def upgrade(backend: Backend) -> None:
    """What `cityops db migrate` does: the migrations, then each new aggregate's backfill."""
    migrate.migrate(backend.client, backend.database)
    backfill(backend.client, backend.database)


def figures(backend: Backend, database: str) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for view, columns in COMPARED.items():
        rows = backend.client.execute(f"SELECT {columns} FROM {database}.{view}")
        out[view] = sorted(
            (tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows), key=repr
        )
    return out


def test_upgrade_moves_the_read_api_and_keeps_every_figure(before_021: Backend) -> None:
    backend = before_021
    _fill_every_table(backend)
    before = figures(backend, backend.database)
    assert all(before.values()), [v for v, rows in before.items() if not rows]

    upgrade(backend)
    api = views_database(backend.database)
    assert figures(backend, api) == before
    # Nothing of the read API is left in the main database.
    left = backend.client.execute(
        f"SELECT name FROM system.tables WHERE database = '{backend.database}'"
    )
    assert not {name for (name,) in left} & {*VIEWS, ALERTS.name, REF_PROCEDURES.name}
    # 021's business-registration copy, read by no view since 030, is gone (034) from both
    # databases, with the materialized view that filled it.
    orphans = backend.client.execute(
        f"SELECT name FROM system.tables WHERE database IN ('{backend.database}', '{api}') "
        f"AND name IN ('{DOSSIER_BUSINESS_REGISTRATION}', '{MV_BUSINESS_REGISTRATION}')"
    )
    assert orphans == []

    # The materialized views of the raw tables write into the moved aggregates.
    current = Backend(backend.name, backend.client, backend.database)
    spec, row = raw_row(PAYMENT_EVENTS[0].model_copy(update={
        "event_id": "after-021", "payment_id": "PAY-after-021"}), partition=0, offset=99,
        ingested_at=datetime.now(UTC).replace(microsecond=0))  # fmt: skip
    insert(current, spec, [row])
    after = figures(backend, api)[V_PAYMENT_DAILY]
    assert sum(r[3] for r in after) == sum(r[3] for r in before[V_PAYMENT_DAILY]) + 1


def test_the_reader_reads_every_view_after_the_upgrade(before_021: Backend) -> None:
    if before_021.settings is None:
        pytest.skip("accounts exist on the ClickHouse 18.16 server only")
    _fill_every_table(before_021)
    upgrade(before_021)
    settings = before_021.settings.clickhouse
    with reader_database(settings):
        reader = make_client(settings, reader=True, database=True)
        try:
            for view in VIEWS:  # unqualified, as Grafana's queries are
                reader.execute(f"SELECT count() FROM {view}")
            assert reader.execute(f"SELECT count() FROM {V_BUSINESS_REGISTRATION}")[0][0] > 0
        finally:
            reader.disconnect()

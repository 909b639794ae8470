"""`cityops kpi` and the demo read one day per agency through a single UNION ALL query: it
must run on both ClickHouse versions and agree with the views it sums."""

from __future__ import annotations

from cityops.db import agency_day
from cityops.db.tables import views_database

from .conftest import AG1, Backend, load_crafted


def test_agency_day_sums_the_views(backend: Backend) -> None:
    load_crafted(backend)
    day = "2025-03-05"
    rows = {r.agency_code: r for r in agency_day.fetch(backend.client, backend.database, day)}
    db = views_database(backend.database)
    received, resolved = backend.client.execute(
        f"SELECT sum(received), sum(resolved) FROM {db}.v_dossier_daily "
        f"WHERE day = toDate('{day}') AND agency_code = '{AG1}'"
    )[0]
    opened = backend.client.execute(
        f"SELECT count() FROM {db}.v_dossier_open WHERE agency_code = '{AG1}'"
    )[0][0]
    assert (rows[AG1].received, rows[AG1].resolved, rows[AG1].open) == (received, resolved, opened)
    assert (received, resolved) == (3, 1)  # the crafted day (see test_views)

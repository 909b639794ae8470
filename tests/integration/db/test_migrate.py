"""Migrations: idempotent, guarded against edits, and matching `cityops.db.tables`."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.db import migrate, read_views
from cityops.db.databases import api_database
from cityops.db.tables import (
    REF_AGENCIES,
    REF_AREAS,
    REF_PROCEDURES,
    TABLES,
    V_ALERTS,
    VIEWS,
    qualified,
    views_database,
)
from cityops.reference import load_reference
from cityops.settings import REFERENCE_DIR, Settings

from .conftest import Backend


def test_second_run_applies_nothing(backend: Backend) -> None:
    assert migrate.migrate(backend.client, backend.database) == []
    states = migrate.status(backend.client, backend.database)
    assert states and all(record is not None for _, record in states)


def test_an_applied_migration_that_changed_is_refused(backend: Backend) -> None:
    edited = [
        dataclasses.replace(m, text=m.text + "\n-- edited\n") if m.version == 1 else m
        for m in migrate.discover()
    ]
    with pytest.raises(migrate.MigrationError, match="001_raw_events changed"):
        migrate.migrate(backend.client, backend.database, edited)


def test_tables_have_exactly_the_columns_of_tables_py(backend: Backend) -> None:
    rows = backend.client.execute(
        "SELECT table, name, type FROM system.columns "
        f"WHERE database = '{backend.database}' OR database = '{api_database(backend.database)}'"
    )
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, name, type_ in rows:
        actual.setdefault(table, []).append((name, type_))
    for spec in TABLES:
        assert actual[spec.name] == [(c.name, c.type) for c in spec.columns], spec.name
    assert set(VIEWS) <= set(actual)


def test_reference_load_replaces_contents(backend: Backend) -> None:
    reference = load_reference(REFERENCE_DIR)
    expected = {
        REF_AREAS.name: len(reference.areas),
        REF_AGENCIES.name: len(reference.agencies),
        REF_PROCEDURES.name: len(reference.procedures),
    }
    for _ in range(2):  # a reload must not append
        assert migrate.load_reference(backend.client, backend.database, reference) == expected
        for table, count in expected.items():
            assert backend.client.execute(
                f"SELECT count() FROM {qualified(table, backend.database)}"
            ) == [(count,)]
    code, target = next(iter(reference.agencies.values())).agency_code, None
    target = backend.client.execute(
        f"SELECT on_time_target FROM {qualified(REF_AGENCIES.name, backend.database)} "
        f"WHERE agency_code = '{code}'"
    )
    assert target == [(reference.agencies[code].on_time_target,)]


def test_cli_migrates_and_reports_status(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__DATABASE", settings.clickhouse.database)
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__PORT", str(settings.clickhouse.port))
    runner = CliRunner()
    first = runner.invoke(app, ["db", "migrate"])
    assert first.exit_code == 0, first.output
    assert "applied 001_raw_events" in first.output
    second = runner.invoke(app, ["db", "migrate", "--no-reference"])
    assert second.exit_code == 0 and "schema up to date" in second.output
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0 and "pending" not in status.output


def _view_query(backend: Backend, view: str) -> str:
    rows = backend.client.execute(
        "SELECT create_table_query FROM system.tables "
        f"WHERE database = '{views_database(backend.database)}' AND name = '{view}'"
    )
    return str(rows[0][0]) if rows else ""


def test_views_are_recreated_only_when_their_definition_changed(backend: Backend) -> None:
    database, where = backend.database, views_database(backend.database)
    assert read_views.sync(backend.client, database, where) == []
    edited = [
        dataclasses.replace(v, text=v.text.rstrip() + "\nWHERE backlog = 0\n")
        if v.name == V_ALERTS
        else v
        for v in read_views.discover()
    ]
    assert read_views.sync(backend.client, database, where, edited) == [V_ALERTS]
    assert "backlog = 0" in _view_query(backend, V_ALERTS)
    assert read_views.sync(backend.client, database, where, edited) == []
    # Back to the shipped definition by the next migrate, as a deployment's upgrade would.
    assert migrate.migrate(backend.client, database) == []
    assert "backlog = 0" not in _view_query(backend, V_ALERTS)


def test_a_dropped_view_is_recreated(backend: Backend) -> None:
    where = views_database(backend.database)
    backend.client.execute(f"DROP TABLE {where}.{V_ALERTS}")
    assert read_views.sync(backend.client, backend.database, where) == [V_ALERTS]
    assert _view_query(backend, V_ALERTS)

"""Migration files and their bookkeeping, without a server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cityops.db import read_views
from cityops.db.migrate import (
    AppliedMigration,
    Migration,
    MigrationError,
    check_history,
    discover,
    render,
    split_statements,
)
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import API_OBJECTS, TABLES, VIEWS, qualified


def test_every_shipped_migration_renders_and_splits() -> None:
    migrations = discover()
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
    text = "\n".join(";\n".join(m.statements("cityops")) for m in migrations)
    assert "{" not in text  # no template name left unfilled
    for table in TABLES:
        # Created in the main database (and moved by 021), or in its own since.
        created = (f"cityops.{table.name}", qualified(table.name, "cityops"))
        assert any(f"CREATE TABLE IF NOT EXISTS {name}\n" in text for name in created)
    # Views live in cityops/db/views/ (re-created by `migrate`): a later migration that
    # defined one would be silently replaced there.
    for migration in migrations:
        if migration.version > 20:
            assert "CREATE VIEW" not in migration.text, migration.name


def test_unknown_template_name_is_refused() -> None:
    with pytest.raises(MigrationError, match="dosier_events"):
        render("SELECT * FROM {db}.{dosier_events}", "cityops")


def test_database_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError):
        render("CREATE DATABASE {db}", "cityops; DROP DATABASE x")
    assert identifier("cityops_t1") == "cityops_t1"


def test_split_drops_comment_lines_and_empty_statements() -> None:
    sql = "-- a comment; with a semicolon\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n;SELECT 1;"
    assert split_statements(sql) == ["CREATE TABLE a (x UInt8) ENGINE = Memory", "SELECT 1"]


def _record(m: Migration, checksum: str | None = None) -> AppliedMigration:
    return AppliedMigration(m.version, m.name, checksum or m.checksum, "2025-01-01 00:00:00")


def test_history_returns_pending_in_order() -> None:
    one, two, three = (Migration(v, f"m{v}", f"SELECT {v}") for v in (1, 2, 3))
    assert check_history([one, two, three], {1: _record(one)}) == [two, three]
    assert check_history([one, two], {1: _record(one), 2: _record(two)}) == []


def test_history_refuses_an_edited_applied_migration() -> None:
    one = Migration(1, "m1", "SELECT 1")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        check_history([one], {1: _record(one, checksum="0" * 64)})


def test_history_refuses_a_database_newer_than_the_code() -> None:
    one, two = Migration(1, "m1", "SELECT 1"), Migration(2, "m2", "SELECT 2")
    with pytest.raises(MigrationError, match="002_m2"):
        check_history([one], {1: _record(one), 2: _record(two)})


def test_literals_escape_quotes_and_render_instants() -> None:
    from datetime import UTC, datetime

    assert literal("it's \\ ok") == "'it\\'s \\\\ ok'"
    assert literal(None) == "NULL"
    assert literal(datetime(1970, 1, 1, 0, 1, tzinfo=UTC)) == "toDateTime(60)"


def test_every_view_has_one_file_with_one_select() -> None:
    definitions = read_views.discover()
    assert [v.name for v in definitions] == list(VIEWS)
    for view in definitions:
        assert view.select("cityops").startswith("SELECT"), view.name


def test_a_view_file_without_a_view_is_refused(tmp_path: Path) -> None:
    for view in VIEWS:
        (tmp_path / f"{view}.sql").write_text("SELECT 1", encoding="utf-8")
    (tmp_path / "v_typo.sql").write_text("SELECT 1", encoding="utf-8")
    with pytest.raises(MigrationError, match="v_typo"):
        read_views.discover(tmp_path)


def test_a_view_checksum_follows_its_text_and_its_database() -> None:
    view = read_views.ViewDefinition("v_x", "SELECT 1")
    assert view.checksum("a") != view.checksum("b")
    assert view.checksum("a") != read_views.ViewDefinition("v_x", "SELECT 2").checksum("a")
    assert view.checksum("a") == read_views.ViewDefinition("v_x", "-- note\nSELECT 1").checksum("a")


def test_views_read_only_what_lives_in_the_readers_database() -> None:
    """18.16 refuses a view over a database its user may not open: a view reading a raw table
    would fail for the reader (and `migrate` fails to create it in the reader's database)."""
    for view in read_views.discover():
        read = set(re.findall(r"\{db\}\.\{(\w+)\}", view.text))
        assert read and read <= API_OBJECTS, (view.name, read - API_OBJECTS)

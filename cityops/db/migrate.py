"""Versioned schema migrations: `migrations/NNN_name.sql`, applied once each, in order.

Each file is a template (names come from `cityops.db.tables.template_names`) of statements
separated by `;`. Applied migrations are recorded in `schema_migrations` with the checksum
of the template; a changed file that was already applied is refused rather than silently
diverging between deployments: write a new migration instead. ClickHouse has no DDL
transactions, so statements are written to be re-runnable (IF NOT EXISTS, DROP+CREATE of
views) and a migration is recorded only after all its statements succeeded.

With a cluster name (`clickhouse.cluster`), every statement, the bookkeeping table's too, is
rewritten by `cityops.db.cluster` into its replicated, `ON CLUSTER` form; the files stay
single-node.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from cityops.db import read_views
from cityops.db.client import SqlClient
from cityops.db.cluster import for_cluster
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import (
    REF_AGENCIES,
    REF_AREAS,
    REF_PROCEDURES,
    SCHEMA_MIGRATIONS,
    TableSpec,
    qualified,
    views_database,
)
from cityops.db.templates import MigrationError, render, split_statements
from cityops.reference import ReferenceData
from cityops.servers import NotReady

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def statements(self, database: str, cluster: str = "") -> list[str]:
        """The statements to run; on a cluster, rewritten for it (see the module doc)."""
        rendered = split_statements(render(self.text, database, self.name))
        return [for_cluster(s, cluster) for s in rendered] if cluster else rendered


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must be NNN_name.sql: {path.name}")
        text = path.read_text(encoding="utf-8")
        migrations.append(Migration(int(match.group(1)), match.group(2), text))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return migrations


def _ensure_bookkeeping(client: SqlClient, database: str, cluster: str = "") -> None:
    # Checked first: on a cluster, DDL waits for every replica, and `status` must still
    # answer while one is down.
    if client.execute(f"EXISTS TABLE {identifier(database)}.{SCHEMA_MIGRATIONS}") == [(1,)]:
        return
    statements = [
        f"CREATE DATABASE IF NOT EXISTS {identifier(database)}",
        f"CREATE TABLE IF NOT EXISTS {database}.{SCHEMA_MIGRATIONS} "
        "(version UInt32, name String, checksum String, applied_at DateTime) "
        "ENGINE = ReplacingMergeTree() ORDER BY version",
    ]
    for statement in statements:
        client.execute(for_cluster(statement, cluster) if cluster else statement)


def applied(client: SqlClient, database: str) -> dict[int, AppliedMigration]:
    rows = client.execute(
        f"SELECT version, name, checksum, toString(applied_at) "
        f"FROM {identifier(database)}.{SCHEMA_MIGRATIONS} FINAL ORDER BY version"
    )
    return {int(r[0]): AppliedMigration(int(r[0]), r[1], r[2], r[3]) for r in rows}


def check_history(known: list[Migration], done: dict[int, AppliedMigration]) -> list[Migration]:
    """The pending migrations, after checking the applied ones still match their files."""
    by_version = {m.version: m for m in known}
    for version, record in sorted(done.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"database has migration {version:03d}_{record.name} that this code lacks "
                "(is the code older than the database?)"
            )
        if migration.checksum != record.checksum:
            raise MigrationError(
                f"migration {version:03d}_{migration.name} changed after it was applied "
                f"(checksum {record.checksum[:12]} in the database, {migration.checksum[:12]} "
                "in the file): add a new migration instead of editing an applied one"
            )
    return [m for m in known if m.version not in done]


def status(
    client: SqlClient,
    database: str,
    migrations: list[Migration] | None = None,
    *,
    cluster: str = "",
) -> list[tuple[Migration, AppliedMigration | None]]:
    """Every known migration with its applied record (None = pending)."""
    known = discover() if migrations is None else migrations
    _ensure_bookkeeping(client, database, cluster)
    done = applied(client, database)
    return [(m, done.get(m.version)) for m in known]


class SchemaPending(NotReady):
    def __init__(self, database: str, address: str, pending: list[int]) -> None:
        versions = ", ".join(f"{v:03d}" for v in pending)
        super().__init__(
            f"the ClickHouse schema of {database} at {address} lacks migrations {versions} "
            "- run `cityops db migrate`"
        )
        self.subject = f"ClickHouse schema of {database}"


def pending_versions(client: SqlClient, database: str) -> list[int]:
    """Versions of the known migrations not applied yet; read-only (a worker's account may
    not create anything), so a database without bookkeeping has every version pending."""
    found = client.execute(
        "SELECT count() FROM system.tables WHERE database = %(db)s AND name = %(table)s",
        {"db": database, "table": SCHEMA_MIGRATIONS},
    )[0][0]
    done = applied(client, database) if found else {}
    return [m.version for m in discover() if m.version not in done]


_RENAME = re.compile(r"^\s*RENAME\s+TABLE\s+(?P<source>[\w.]+)\s+TO\s+(?P<target>[\w.]+)", re.I)


def _renamed_before(client: SqlClient, statement: str) -> bool:
    """A `RENAME TABLE a TO b` an interrupted run of its migration already did (`a` gone, `b`
    there): 18.16 has no RENAME ... IF EXISTS, and a migration must be re-runnable."""
    match = _RENAME.match(statement)
    if match is None:
        return False
    exists = [
        client.execute(f"EXISTS TABLE {match.group(name)}") == [(1,)]
        for name in ("source", "target")
    ]
    return exists == [False, True]


def migrate(
    client: SqlClient,
    database: str,
    migrations: list[Migration] | None = None,
    *,
    cluster: str = "",
    views: bool | None = None,
) -> list[Migration]:
    """Create the database if needed and apply pending migrations; returns those applied.
    Then re-create the read-API views whose definition changed (`cityops.db.read_views`):
    by default only with the code's own migrations, so a past history (`migrations` given:
    the upgrade tests and the query benchmark rebuild an old schema) keeps that history's
    views; `views=False` leaves them to the caller.

    `cluster` names the `remote_servers` cluster to create the replicated schema on; "" is
    the single-server form."""
    known = discover() if migrations is None else migrations
    _ensure_bookkeeping(client, database, cluster)
    pending = check_history(known, applied(client, database))
    for migration in pending:
        log.info("applying migration %03d_%s", migration.version, migration.name)
        for statement in migration.statements(database, cluster):
            if not _renamed_before(client, statement):
                client.execute(statement)
        client.execute(
            f"INSERT INTO {database}.{SCHEMA_MIGRATIONS} (version, name, checksum, applied_at) "
            f"SELECT {migration.version}, {literal(migration.name)}, "
            f"{literal(migration.checksum)}, now()"
        )
    if views or (views is None and migrations is None):
        read_views.sync(client, database, views_database(database), cluster=cluster)
    return pending


def _reference_rows(spec: TableSpec, items: list[object]) -> list[tuple[object, ...]]:
    return [tuple(getattr(item, name) for name in spec.column_names) for item in items]


def load_reference(
    client: SqlClient, database: str, reference: ReferenceData, *, cluster: str = ""
) -> dict[str, int]:
    """Replace the reference tables' contents with `reference`; returns rows per table.

    Readers may see a table empty for the moment between TRUNCATE and INSERT; the read API's
    counts do not depend on these tables.
    """
    tables: list[tuple[TableSpec, list[object]]] = [
        (REF_AREAS, list(reference.areas.values())),
        (REF_AGENCIES, list(reference.agencies.values())),
        (REF_PROCEDURES, list(reference.procedures.values())),
    ]
    counts: dict[str, int] = {}
    for spec, items in tables:
        rows = _reference_rows(spec, items)
        table = qualified(spec.name, identifier(database))
        # On a cluster 18.16 forwards a replicated TRUNCATE to the leader replica as the
        # `default` account, which least privilege keeps out of the data; a mutation goes
        # through ZooKeeper instead, and removes only the parts that exist before the INSERT.
        client.execute(
            f"ALTER TABLE {table} DELETE WHERE 1" if cluster else f"TRUNCATE TABLE {table}"
        )
        if rows:
            client.execute(spec.insert_sql(database), rows)
        counts[spec.name] = len(rows)
    return counts

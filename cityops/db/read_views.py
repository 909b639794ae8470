"""The read-API views, defined once: `views/<view>.sql`, (re)created by `cityops db migrate`.

A view holds no data, so unlike a table it can be replaced at any time; restating a whole
view in a new numbered migration for every change left ten definitions scattered over as
many files. Each view is one file here holding its SELECT (a template, like a migration);
after the numbered migrations, `sync` drops and re-creates every view whose rendered
definition differs from the one recorded in `schema_views`, or that is missing (a migration
dropped it), like Flyway's repeatable migrations. A change to a view is one edit of its file.

Views are created in the order of `tables.VIEWS`, so a view may read one listed before it.
The numbered migrations that once created views stay as they were (their checksums are
recorded by existing deployments); on a fresh database their views are replaced here.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cityops.db.client import SqlClient
from cityops.db.cluster import for_cluster
from cityops.db.sqltext import identifier, literal
from cityops.db.tables import SCHEMA_VIEWS, VIEWS
from cityops.db.templates import MigrationError, render, split_statements

log = logging.getLogger(__name__)

VIEWS_DIR = Path(__file__).parent / "views"


@dataclass(frozen=True)
class ViewDefinition:
    name: str
    text: str

    def select(self, database: str) -> str:
        """The view's SELECT with its names filled for `database` (where it is created)."""
        statements = split_statements(render(self.text, database, self.name))
        if len(statements) != 1:
            raise MigrationError(f"views/{self.name}.sql must hold exactly one SELECT")
        return statements[0]

    def checksum(self, database: str) -> str:
        """Of the rendered SELECT: a changed file and a view moved to another database both
        count as changed."""
        return hashlib.sha256(f"{database}\n{self.select(database)}".encode()).hexdigest()

    def statements(self, database: str, cluster: str = "") -> list[str]:
        """Drop and create (18.16 has no CREATE OR REPLACE VIEW): the view is missing for
        the moment between the two statements."""
        qualified = f"{identifier(database)}.{self.name}"
        rendered = [
            f"DROP TABLE IF EXISTS {qualified}",
            f"CREATE VIEW {qualified} AS\n{self.select(database)}",
        ]
        return [for_cluster(s, cluster) for s in rendered] if cluster else rendered


def discover(directory: Path = VIEWS_DIR) -> list[ViewDefinition]:
    """Every view of `tables.VIEWS`, in that order; a file for an unknown view, or a view
    without its file, is refused so the two lists cannot drift apart."""
    files = {path.stem: path for path in directory.glob("*.sql")}
    unknown = sorted(set(files) - set(VIEWS))
    missing = [v for v in VIEWS if v not in files]
    if unknown or missing:
        raise MigrationError(
            f"views/ and tables.VIEWS differ: files without a view {unknown}, views without "
            f"a file {missing}"
        )
    return [ViewDefinition(v, files[v].read_text(encoding="utf-8")) for v in VIEWS]


def ensure_bookkeeping(client: SqlClient, database: str, cluster: str = "") -> None:
    """`schema_views` next to `schema_migrations`: the checksum each view was created with."""
    if client.execute(f"EXISTS TABLE {identifier(database)}.{SCHEMA_VIEWS}") == [(1,)]:
        return
    statement = (
        f"CREATE TABLE IF NOT EXISTS {database}.{SCHEMA_VIEWS} "
        "(name String, checksum String, applied_at DateTime) "
        "ENGINE = ReplacingMergeTree(applied_at) ORDER BY name"
    )
    client.execute(for_cluster(statement, cluster) if cluster else statement)


@dataclass(frozen=True)
class ViewRecord:
    checksum: str
    #: Epoch seconds; each record of a view is later than the one before (see `sync`).
    applied_at: int


def recorded(client: SqlClient, database: str) -> dict[str, ViewRecord]:
    rows = client.execute(
        f"SELECT name, argMax(checksum, applied_at), toUInt32(max(applied_at)) "
        f"FROM {identifier(database)}.{SCHEMA_VIEWS} GROUP BY name"
    )
    return {str(r[0]): ViewRecord(str(r[1]), int(r[2])) for r in rows}


def existing(client: SqlClient, database: str) -> set[str]:
    rows = client.execute(f"SELECT name FROM system.tables WHERE database = {literal(database)}")
    return {str(r[0]) for r in rows}


def sync(
    client: SqlClient,
    database: str,
    view_database: str,
    definitions: list[ViewDefinition] | None = None,
    *,
    cluster: str = "",
) -> list[str]:
    """(Re)create the views of `view_database` whose definition changed or that are missing;
    the record lives in `database` (the one with `schema_migrations`). Returns their names."""
    known = discover() if definitions is None else definitions
    ensure_bookkeeping(client, database, cluster)
    done = recorded(client, database)
    present = existing(client, view_database)
    changed = []
    for view in known:
        checksum = view.checksum(view_database)
        before = done.get(view.name)
        if before is not None and before.checksum == checksum and view.name in present:
            continue
        log.info("creating view %s.%s", view_database, view.name)
        for statement in view.statements(view_database, cluster):
            client.execute(statement)
        # Later than the previous record even within the same second: the latest wins.
        after = literal(datetime.fromtimestamp(before.applied_at + 1 if before else 0, UTC))
        client.execute(
            f"INSERT INTO {database}.{SCHEMA_VIEWS} (name, checksum, applied_at) "
            f"SELECT {literal(view.name)}, {literal(checksum)}, greatest(now(), {after})"
        )
        changed.append(view.name)
    return changed

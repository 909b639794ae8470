"""The three ClickHouse accounts and what each may do, for current ClickHouse (24.x+).

- the **migrator** owns the schema of both databases (`cityops db migrate`, reference loads);
- the **writer** (stream workers) may only INSERT into the tables the workers write, in
  either database, and read `schema_migrations` (a worker checks the schema before it starts);
- the **reader** (Grafana, `cityops kpi`) may only SELECT in the reader's database (the
  read-API views and the aggregates they read, cityops/db/databases.py) and the few `system`
  tables Grafana's ClickHouse plugin browses, under limits it cannot raise.

`access_sql` states this as SQL access control (users, settings profiles with constraints,
grants); `cityops db accounts` applies it as an administrator. The views are created by the
migrator as `SQL SECURITY DEFINER` views (its profile sets the default), so reading one needs
SELECT on the view only, never on the raw tables behind it. ClickHouse 18.16 has no SQL
access control: the local stack's `deploy/local/clickhouse/users.d/cityops.xml` states what
18.16 can of the same (rendered by `cityops.db.localusers` from the same limits).
"""

from __future__ import annotations

import hashlib
import ipaddress

from cityops.db.sqltext import identifier, literal
from cityops.db.tables import (
    REF_AGENCIES,
    REF_AREAS,
    REF_PROCEDURES,
    SCHEMA_MIGRATIONS,
    TABLES,
    VIEWS,
    TableSpec,
    qualified,
)
from cityops.settings import ClickHouseSettings

#: The tables stream workers insert into (every table but the reference tables, which the
#: migrator loads): the writer's grants, nothing more.
WORKER_TABLES: tuple[TableSpec, ...] = tuple(
    t for t in TABLES if t not in (REF_AGENCIES, REF_AREAS, REF_PROCEDURES)
)

#: Per-query limits of the reader; a query over them fails instead of starving the server.
READER_LIMITS: dict[str, int] = {
    "max_memory_usage": 2_000_000_000,
    "max_execution_time": 60,
    "max_result_rows": 1_000_000,
    "max_result_bytes": 500_000_000,
}
#: Grafana's ClickHouse plugin (clickhouse-go) sends `max_execution_time` = its query
#: timeout + 5 s with every query; on current ClickHouse the reader may lower the limit or
#: raise it up to this, never beyond.
READER_MAX_EXECUTION_TIME_CAP = 120

#: What the plugin reads of `system`: `SELECT version()`/`SELECT 1` need `one`, its schema
#: browser lists databases, tables and columns (each filtered down to what the reader may
#: see). Nothing else: not `processes`, not `query_log`.
READER_SYSTEM_TABLES: tuple[str, ...] = ("one", "databases", "tables", "columns")

#: What `cityops db status` and schema checks read of `system`.
MIGRATOR_SYSTEM_TABLES: tuple[str, ...] = ("one", "tables", "columns")

#: What a worker reads of `system` at startup: whether `schema_migrations` exists.
WRITER_SYSTEM_TABLES: tuple[str, ...] = ("one", "tables")

PROFILE_MIGRATOR = "cityops_migrator"
PROFILE_WRITER = "cityops_writer"
PROFILE_READER = "cityops_reader"


def password_sha256(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def _hosts(networks: list[str]) -> str:
    """`HOST IP '...'` of CREATE USER; each entry must parse as an address or a network."""
    for network in networks:
        ipaddress.ip_network(network, strict=False)
    return "HOST " + ", ".join(f"IP {literal(n)}" for n in networks)


def _profiles() -> list[str]:
    caps = {**READER_LIMITS, "max_execution_time": READER_MAX_EXECUTION_TIME_CAP}
    # MIN 1: each of these limits is off at 0, which a MAX alone lets the reader set.
    limits = ", ".join(
        f"{name} = {value} MIN 1 MAX {caps[name]}" for name, value in READER_LIMITS.items()
    )
    return [
        # Views created by the migrator read with its rights: the reader needs the view only.
        f"CREATE SETTINGS PROFILE OR REPLACE {PROFILE_MIGRATOR} SETTINGS "
        "default_normal_view_sql_security = 'DEFINER', default_view_definer = 'CURRENT_USER'",
        f"CREATE SETTINGS PROFILE OR REPLACE {PROFILE_WRITER} SETTINGS allow_ddl = 0 CONST",
        # readonly=2, not 1: the plugin sends settings with every query, which readonly=1
        # refuses on current ClickHouse. Table functions and temporary tables stay impossible:
        # they need grants (CREATE TEMPORARY TABLE, URL, REMOTE, FILE...) the reader lacks.
        f"CREATE SETTINGS PROFILE OR REPLACE {PROFILE_READER} SETTINGS readonly = 2 CONST, "
        f"allow_ddl = 0 CONST, allow_introspection_functions = 0 CONST, {limits}, "
        "result_overflow_mode = 'throw' CONST",
    ]


def _user(name: str, password: str, profile: str, networks: list[str]) -> str:
    hashed = literal(password_sha256(password))
    return (
        f"CREATE USER OR REPLACE {identifier(name)} IDENTIFIED WITH sha256_hash BY {hashed} "
        f"{_hosts(networks)} SETTINGS PROFILE {literal(profile)}"
    )


def access_sql(settings: ClickHouseSettings) -> list[str]:
    """Every statement, in order; re-running replaces users and profiles, so it converges.

    Passwords appear only as SHA-256 hashes. Re-run after a migration adds a worker table:
    the writer's grants name each table. The reader's grant is the whole reader's database,
    which holds nothing else than the read API (the same line as 18.16's `allow_databases`).
    """
    db, api = identifier(settings.database), identifier(settings.api_database)
    migrator, writer, reader = (
        identifier(settings.migrator_user),
        identifier(settings.user),
        identifier(settings.reader_user),
    )
    networks = settings.account_networks
    statements = _profiles()
    statements += [
        _user(migrator, settings.secret("migrator_password"), PROFILE_MIGRATOR, networks),
        _user(writer, settings.secret("password"), PROFILE_WRITER, networks),
        _user(reader, settings.secret("reader_password"), PROFILE_READER, networks),
        f"GRANT ALL ON {db}.* TO {migrator}",
        f"GRANT ALL ON {api}.* TO {migrator}",
    ]
    statements += [f"GRANT SELECT ON system.{t} TO {migrator}" for t in MIGRATOR_SYSTEM_TABLES]
    statements += [f"GRANT INSERT ON {qualified(t.name, db)} TO {writer}" for t in WORKER_TABLES]
    # A worker checks at startup that the schema is migrated before it writes.
    statements += [f"GRANT SELECT ON {db}.{SCHEMA_MIGRATIONS} TO {writer}"]
    statements += [f"GRANT SELECT ON system.{t} TO {writer}" for t in WRITER_SYSTEM_TABLES]
    statements += [f"GRANT SELECT ON {api}.* TO {reader}"]
    statements += [f"GRANT SELECT ON system.{t} TO {reader}" for t in READER_SYSTEM_TABLES]
    return statements


def view_security_sql(settings: ClickHouseSettings, existing: set[str]) -> list[str]:
    """Make views that already exist read with the migrator's rights, as new ones are.

    Views created before the migrator's profile existed (an upgraded deployment) are
    `SQL SECURITY INVOKER`: the reader could not read them without grants on their tables.
    """
    api, migrator = identifier(settings.api_database), identifier(settings.migrator_user)
    return [
        f"ALTER TABLE {api}.{view} MODIFY SQL SECURITY DEFINER DEFINER = {migrator}"
        for view in VIEWS
        if view in existing
    ]

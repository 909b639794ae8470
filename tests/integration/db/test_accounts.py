"""Each ClickHouse account can do its job and is refused the rest, as the real account on the
local ClickHouse 18.16 (docs/operations.md, "Accounts"): the issue's probes, one by one.

On 18.16 the reader may open its own database only (`<database>_api`: the read-API views
and what they read); the raw events, `dossier_state`, dead letters and the bookkeeping live
in the main database, which it may not open. What 18.16 cannot restrict (the reader reading
`system`, the writer's table functions) is enforced by grants on current ClickHouse, see
tests/unit/db/test_accounts_sql.py and `cityops db accounts`.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import Error, ServerException
from pydantic import SecretStr

from cityops.db.accounts import READER_LIMITS
from cityops.db.client import make_client
from cityops.db.databases import Home
from cityops.db.tables import (
    API_OBJECTS,
    BACKFILLS,
    DEADLETTERS,
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    SCHEMA_MIGRATIONS,
    SCHEMA_VIEWS,
    TABLES,
    VIEWS,
)
from cityops.settings import Settings
from tests.support.accounts import reader_database


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"secret-from-an-internal-service\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def internal_http() -> Iterator[tuple[int, list[str]]]:
    """A real HTTP service on loopback, standing for anything internal a reader could reach."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def reader(migrated: Settings) -> Iterator[Client]:
    with reader_database(migrated.clickhouse):
        client = make_client(migrated.clickhouse, reader=True)
        yield client
        client.disconnect()


@pytest.fixture
def writer(migrated: Settings) -> Iterator[Client]:
    client = make_client(migrated.clickhouse)
    yield client
    client.disconnect()


def refused(client: Client, sql: str, **kwargs: Any) -> str:
    """Run `sql`, which must fail on the server's side; returns the server's message."""
    with pytest.raises(ServerException) as caught:
        client.execute(sql, **kwargs)
    return str(caught.value.message)


def test_reader_reads_every_view_and_what_grafana_asks(reader: Client, migrated: Settings) -> None:
    api = migrated.clickhouse.api_database
    for view in VIEWS:
        reader.execute(f"SELECT * FROM {api}.{view} LIMIT 1")
    assert reader.execute("SELECT version()")
    assert (api,) in reader.execute("SELECT name FROM system.databases")


def test_reader_reads_no_raw_table(reader: Client, migrated: Settings) -> None:
    """Raw events, dossier_state, dead letters and the bookkeeping: each refused by name, as
    is listing them; the main database is not even shown to the reader."""
    db = migrated.clickhouse.database
    raw = [t.name for t in TABLES if t.home is Home.RAW]
    assert {DEADLETTERS.name, DOSSIER_STATE.name, DOSSIER_EVENTS.name} <= set(raw)
    for table in [*raw, SCHEMA_MIGRATIONS, SCHEMA_VIEWS, BACKFILLS]:
        message = refused(reader, f"SELECT count() FROM {db}.{table}")
        assert "access denied" in message.lower(), table
    assert (db,) not in reader.execute("SELECT name FROM system.databases")
    assert reader.execute(f"SELECT name FROM system.tables WHERE database = '{db}'") == []


def test_reader_database_holds_no_raw_table(migrated: Settings) -> None:
    """What the reader may open, listed by the migrator: views and tables of the read API
    only (a raw table moved there by mistake would be readable)."""
    migrator = make_client(migrated.clickhouse, migrator=True)
    try:
        rows = migrator.execute(
            f"SELECT name FROM system.tables WHERE database = '{migrated.clickhouse.api_database}'"
        )
    finally:
        migrator.disconnect()
    assert {name for (name,) in rows} == set(API_OBJECTS)


def test_reader_cannot_fetch_a_url(reader: Client, internal_http: tuple[int, list[str]]) -> None:
    port, hits = internal_http
    message = refused(reader, f"SELECT * FROM url('http://127.0.0.1:{port}/', CSV, 'x String')")
    assert "readonly" in message.lower() or "table function" in message.lower()
    assert hits == []  # the server never asked the internal service for anything


def test_reader_cannot_read_dead_letters_through_remote_as_default(
    reader: Client, migrated: Settings
) -> None:
    db, port = migrated.clickhouse.database, migrated.clickhouse.port
    refused(
        reader, f"SELECT * FROM remote('127.0.0.1:{port}', {db}.{DEADLETTERS.name}, 'default', '')"
    )


def test_the_writer_reaches_no_dead_letters_through_remote_as_default(
    writer: Client, migrated: Settings
) -> None:
    """18.16 lets the writer (readonly=0) use table functions. The issue's `remote()` probe
    to this very server runs locally as the writer itself (`prefer_localhost_replica`: no
    connection, no more than the writer reads anyway); made to connect, it lands on
    `default`, which may see no cityops database."""
    db, port = migrated.clickhouse.database, migrated.clickhouse.port
    probe = f"SELECT * FROM remote('127.0.0.1:{port}', {db}.{DEADLETTERS.name}, 'default', '')"
    message = refused(writer, probe + " SETTINGS prefer_localhost_replica = 0")
    assert "access" in message.lower() and db in message


def test_default_user_reaches_no_cityops_table(migrated: Settings) -> None:
    """Passwordless `default` (loopback only, for the stack's health check) may read `system`
    and nothing else: whatever reaches it, a `remote()` included, gets no cityops data."""
    db = migrated.clickhouse.database
    default = Client(host=migrated.clickhouse.host, port=migrated.clickhouse.port)
    try:
        assert default.execute("SELECT 1") == [(1,)]
        refused(default, f"SELECT count() FROM {db}.{DEADLETTERS.name}")
        refused(default, "CREATE DATABASE reached_as_default")
        refused(default, "SELECT * FROM numbers(1)")
    finally:
        default.disconnect()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('/etc/passwd', CSV, 'x String')",
        "SELECT * FROM numbers(10)",
        "SET max_memory_usage = 100000000000",
        "CREATE TEMPORARY TABLE scratch (x UInt8)",
        "CREATE TABLE {db}.scratch (x UInt8) ENGINE = Memory",
        "DROP TABLE {db}.{raw}",
        "INSERT INTO {db}.{raw} (event_id) SELECT 'x'",
    ],
)
def test_reader_is_refused(reader: Client, migrated: Settings, sql: str) -> None:
    refused(reader, sql.format(db=migrated.clickhouse.database, raw=DOSSIER_EVENTS.name))


def test_reader_cannot_read_another_database(reader: Client, migrated: Settings) -> None:
    other = f"{migrated.clickhouse.database}_other"
    migrator = make_client(migrated.clickhouse, migrator=True)
    try:
        migrator.execute(f"CREATE DATABASE {other}")
        migrator.execute(f"CREATE TABLE {other}.t (x UInt8) ENGINE = Memory")
        refused(reader, f"SELECT * FROM {other}.t")
        assert (other,) not in reader.execute("SELECT name FROM system.databases")
    finally:
        migrator.execute(f"DROP DATABASE IF EXISTS {other}")
        migrator.disconnect()


def test_reader_cannot_raise_its_limits(reader: Client) -> None:
    """Settings sent with a query are ignored under readonly=1 (18.16), SET is refused, and
    the limits hold: a result over max_result_rows fails instead of streaming on."""
    raised = {"max_memory_usage": 10**12, "max_execution_time": 3600, "max_result_rows": 0}
    rows = reader.execute(
        "SELECT name, value FROM system.settings WHERE name IN "
        "('max_memory_usage', 'max_execution_time', 'max_result_rows')",
        settings=raised,
    )
    assert dict(rows) == {name: str(READER_LIMITS[name]) for name in raised}
    too_many = READER_LIMITS["max_result_rows"] + 1
    message = refused(reader, f"SELECT number FROM system.numbers LIMIT {too_many}")
    assert "limit" in message.lower()


def test_wrong_password_is_refused(migrated: Settings) -> None:
    wrong = migrated.clickhouse.model_copy(
        update={"reader_password": SecretStr("not-the-password")}
    )
    client = make_client(wrong, reader=True)
    with pytest.raises(Error):
        client.execute("SELECT 1")
    client.disconnect()


def test_writer_inserts_but_holds_no_ddl(writer: Client, migrated: Settings) -> None:
    db = migrated.clickhouse.database
    writer.execute(
        f"INSERT INTO {db}.{DEADLETTERS.name} (source, reason) VALUES", [("test", "rule")]
    )
    assert writer.execute(f"SELECT count() FROM {db}.{DEADLETTERS.name}") == [(1,)]
    for sql in (
        f"CREATE TABLE {db}.scratch (x UInt8) ENGINE = Memory",
        f"DROP TABLE {db}.{DEADLETTERS.name}",
        f"TRUNCATE TABLE {db}.{DEADLETTERS.name}",
        f"ALTER TABLE {db}.{DEADLETTERS.name} DELETE WHERE 1",
        f"CREATE DATABASE {db}_by_writer",
        "CREATE TEMPORARY TABLE scratch (x UInt8)",
    ):
        refused(writer, sql)

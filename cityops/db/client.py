"""ClickHouse clients built from settings, so no component assembles connection arguments."""

from __future__ import annotations

from typing import Any, Protocol

from clickhouse_driver import Client

from cityops.settings import ClickHouseSettings

#: Settings of every reader of the read API. ClickHouse 18.16 runs a view's whole query and
#: filters afterwards unless predicates are pushed into it; with this, `WHERE day = today()`
#: on a view reads today's rows of its aggregate table only (current ClickHouse does it by
#: default). The reader profile (deploy/local/clickhouse/users.d/cityops.xml) sets the same, for
#: Grafana (a unit test keeps the two equal).
READ_SETTINGS: dict[str, int] = {"enable_optimize_predicate_expression": 1}


def read_settings_clause() -> str:
    """READ_SETTINGS as a query's SETTINGS clause, for readers that get a plain client."""
    return "SETTINGS " + ", ".join(f"{k} = {v}" for k, v in READ_SETTINGS.items())


class SqlClient(Protocol):
    """What the migration and reconciliation code needs: run SQL, get rows back.

    clickhouse-driver's `Client` fits; so does the chdb adapter the tests use to run the same
    SQL on current ClickHouse.
    """

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any: ...


def make_client(
    settings: ClickHouseSettings,
    *,
    database: bool = False,
    reader: bool = False,
    migrator: bool = False,
    connect_timeout: float = 5,
    send_receive_timeout: float = 60,
) -> Client:
    """A native-protocol client; `database=False` by default as every statement is qualified.

    The writer account by default (what workers need); `reader=True` connects as the
    read-only account of the dashboards, `migrator=True` as the only account with DDL.
    """
    if reader:
        kwargs = settings.client_kwargs(
            database=database,
            user=settings.reader_user,
            password=settings.secret("reader_password"),
        )
        if database:  # the reader may open its own database only
            kwargs["database"] = settings.api_database
        kwargs["settings"] = dict(READ_SETTINGS)
    elif migrator:
        kwargs = settings.client_kwargs(
            database=database,
            user=settings.migrator_user,
            password=settings.secret("migrator_password"),
        )
    else:
        kwargs = settings.client_kwargs(database=database)
    return Client(
        **kwargs,
        connect_timeout=connect_timeout,
        send_receive_timeout=send_receive_timeout,
        client_name="cityops",
    )

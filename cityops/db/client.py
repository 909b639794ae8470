"""ClickHouse clients built from settings, so no component assembles connection arguments."""

from __future__ import annotations

from typing import Any, Protocol

from clickhouse_driver import Client

from cityops.settings import ClickHouseSettings


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
    kwargs = settings.client_kwargs(database=database)
    if reader:
        kwargs["user"] = settings.reader_user
        kwargs["password"] = settings.reader_password.get_secret_value()
    elif migrator:
        kwargs["user"] = settings.migrator_user
        kwargs["password"] = settings.migrator_password.get_secret_value()
    return Client(
        **kwargs,
        connect_timeout=connect_timeout,
        send_receive_timeout=send_receive_timeout,
        client_name="cityops",
    )

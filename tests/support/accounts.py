"""Let the local stack's reader read a test's own database.

On ClickHouse 18.16 the reader may read the one database named in the stack's
`users.d/cityops.xml` (the reader's database of the settings, `cityops_api`). Tests each
have a fresh pair of databases, so this writes an override that names the test's instead,
and waits for the server to reload its users (it checks the files every few seconds). One
test database at a time, like the tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cityops.db.client import make_client
from cityops.settings import ClickHouseSettings
from tests.conftest import REPO_ROOT


def _override_file() -> Path:
    stack = Path(os.environ.get("CITYOPS_STACK_DIR", REPO_ROOT / ".stack"))
    return stack / "clickhouse" / "conf" / "users.d" / "zz-test-reader-database.xml"


def _reader_sees(settings: ClickHouseSettings) -> bool:
    client = make_client(settings, reader=True)
    try:
        rows = client.execute("SELECT name FROM system.databases")
        return (settings.api_database,) in rows
    finally:
        client.disconnect()


@contextmanager
def reader_database(settings: ClickHouseSettings, timeout: float = 30) -> Iterator[None]:
    """While open, the reader's one database is `settings.api_database` (which must exist)."""
    path = _override_file()
    path.write_text(
        "<yandex><users><"
        + settings.reader_user
        + '><allow_databases replace="replace"><database>'
        + settings.api_database
        + "</database></allow_databases></"
        + settings.reader_user
        + "></users></yandex>\n",
        encoding="utf-8",
    )
    try:
        deadline = time.monotonic() + timeout
        while not _reader_sees(settings):
            if time.monotonic() > deadline:
                raise TimeoutError(f"ClickHouse did not reload {path} within {timeout} s")
            time.sleep(0.3)
        yield
    finally:
        path.unlink(missing_ok=True)

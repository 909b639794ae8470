"""SQL literals for the few statements that carry values inline.

Migrations and reference loads must run through any client that takes a SQL string (the
clickhouse-driver `Client` and the embedded chdb used to test against current ClickHouse),
so their values are written into the text instead of being sent as a native data block.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import Enum

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """Reject a database or table name that would need quoting: they are spliced into SQL."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def literal(value: object) -> str:
    """One value as a ClickHouse literal; datetimes are instants (naive ones are UTC)."""
    if value is None:
        return "NULL"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"toDateTime({int(aware.timestamp())})"
    if isinstance(value, date):
        return f"toDate('{value.isoformat()}')"
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def values(rows: list[tuple[object, ...]]) -> str:
    """`(a, b), (c, d)` for an INSERT ... VALUES."""
    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)

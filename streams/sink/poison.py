"""Which insert errors are the data's fault, and what a rejected row becomes.

An insert can fail for two kinds of reasons. Transient ones (the server is down, slow, out of
memory, refusing connections) are retried with backoff: the same rows will go in later. Data
errors (a value the column's type cannot hold, a string the server cannot parse) fail the same
way on every attempt; retried, one bad row would stop every later write. The sink finds the
rows that cause a data error and hands each to the dead-letter path as a `RejectedRow`.

Anything not known to be a data error counts as transient: wrongly dead-lettering good rows
would lose figures, wrongly retrying shows up as a stuck sink (worker /health, /metrics).
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clickhouse_driver import errors

from cityops.db.tables import TableSpec

#: Server error codes that mean "this data cannot go into this column", whatever the attempt.
DATA_ERROR_CODES: frozenset[int] = frozenset(
    {
        errors.ErrorCodes.CANNOT_PARSE_TEXT,
        errors.ErrorCodes.CANNOT_PARSE_ESCAPE_SEQUENCE,
        errors.ErrorCodes.CANNOT_PARSE_QUOTED_STRING,
        errors.ErrorCodes.CANNOT_PARSE_INPUT_ASSERTION_FAILED,
        errors.ErrorCodes.CANNOT_PARSE_DATE,
        errors.ErrorCodes.CANNOT_PARSE_DATETIME,
        errors.ErrorCodes.CANNOT_PARSE_NUMBER,
        errors.ErrorCodes.CANNOT_PARSE_UUID,
        errors.ErrorCodes.CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING,
        errors.ErrorCodes.TYPE_MISMATCH,
        errors.ErrorCodes.ARGUMENT_OUT_OF_BOUND,
        errors.ErrorCodes.CANNOT_CONVERT_TYPE,
        errors.ErrorCodes.INCORRECT_DATA,
        errors.ErrorCodes.TOO_LARGE_STRING_SIZE,
        errors.ErrorCodes.VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
        errors.ErrorCodes.CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN,
    }
)

#: Errors clickhouse-driver raises in this process while serializing a value for its column
#: (an int too big for UInt32 is a `struct.error` inside a TypeMismatchError; a non-string in a
#: String column an AttributeError): nothing was written, and the next attempt fails the same.
_CLIENT_DATA_ERRORS = (
    errors.TypeMismatchError,
    errors.TooLargeStringSize,
    errors.CannotParseUuidError,
    errors.CannotParseDomainError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    struct.error,
)

_CODE_NAMES = {v: k for k, v in vars(errors.ErrorCodes).items() if isinstance(v, int)}
#: The column clickhouse-driver names in a serialization error ("... Column occurred_at: ...").
_COLUMN = re.compile(r"Column (\w+)")


def is_data_error(exc: BaseException) -> bool:
    """True when retrying the same rows cannot succeed (see the module doc)."""
    if isinstance(exc, errors.ServerException):
        return exc.code in DATA_ERROR_CODES
    return isinstance(exc, _CLIENT_DATA_ERRORS)


def describe(exc: BaseException) -> str:
    """What went wrong, naming the error and column but never quoting the message: the
    driver's and the server's messages may contain the value, which may be personal data."""
    code = getattr(exc, "code", None)
    name = type(exc).__name__
    what = f"{name} {code} ({_CODE_NAMES[code]})" if code in _CODE_NAMES else name
    column = _COLUMN.search(str(getattr(exc, "message", "") or ""))
    return f"{what} in column {column.group(1)}" if column else what


@dataclass(frozen=True)
class RejectedRow:
    """A row ClickHouse cannot store, with what is needed to dead-letter and replay it."""

    table: str
    row: tuple[Any, ...]
    reason: str
    #: The topic the row's record came from, and its bytes, when the writer passed them.
    topic: str | None = None
    original: bytes | None = None

    def original_bytes(self, spec: TableSpec) -> bytes:
        """The record as it came in; for a row built from state, the row itself as JSON."""
        if self.original is not None:
            return self.original
        values = dict(zip(spec.column_names, self.row, strict=True))
        return json.dumps(values, default=_jsonable, ensure_ascii=False).encode()


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)

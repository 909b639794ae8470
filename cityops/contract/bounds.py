"""The bounds a value must be within to become part of a contract event, defined once.

The models (events.py) apply them, so every connector and the worker's decode step reject the
same things; the source mappings use the same helpers for what arrives as text (status codes,
local dates). A value out of bounds is rejected with a reason that names the rule, never the
value: dead letters and logs may be read by people who must not see a citizen's data.

Why bounds at all: ClickHouse stores a `DateTime` as unsigned 32-bit seconds, so a timestamp
before 1970 or after 2106 cannot be written, and one that can be written but is absurd (a
dossier received in 1900, a payment in 2200) ruins every figure that counts by day. The window
is plausible, not just storable: by default 2000-01-01 to one year from now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: What a ClickHouse `DateTime` column can hold (UInt32 seconds since the epoch), with a day of
#: margin at both ends so that no time zone shifts a bounded value out of it.
STORABLE_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
STORABLE_LATEST = datetime(2106, 2, 6, tzinfo=UTC)

#: Codes (agency, area, procedure, field): ASCII letters and digits, then also `.`, `_`, `-`;
#: at most 64 characters. Spreadsheet formulas (`=...`), spaces and non-ASCII digits fail it.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
#: A numeric code of a source vocabulary (TrangThaiHoSo, KenhThucHien...): 1-3 ASCII digits.
NUMERIC_CODE_PATTERN = r"^[0-9]{1,3}$"
_NUMERIC_CODE = re.compile(NUMERIC_CODE_PATTERN)


class OutOfBounds(ValueError):
    """A value outside the contract's bounds; the message names the rule, not the value."""


@dataclass(frozen=True)
class TimeWindow:
    """Timestamps from `earliest` to `ahead` past the current time are accepted."""

    earliest: datetime
    ahead: timedelta

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None:
            raise ValueError("the earliest accepted timestamp needs an offset")
        if self.earliest < STORABLE_EARLIEST:
            raise ValueError(f"the earliest accepted timestamp must be >= {STORABLE_EARLIEST:%F}")
        if self.ahead <= timedelta(0):
            raise ValueError("the accepted window must reach past now")
        if datetime.now(UTC) + self.ahead > STORABLE_LATEST:
            raise ValueError(f"the accepted window must end before {STORABLE_LATEST:%F}")

    def latest(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def describe(self) -> str:
        days = self.ahead.total_seconds() / 86_400
        return f"{self.earliest:%Y-%m-%d} to now + {days:g} days"

    def check(self, value: datetime) -> datetime:
        """`value` itself when inside the window; raises OutOfBounds otherwise."""
        if value < self.earliest or value > self.latest():
            raise OutOfBounds(f"timestamp outside the accepted window ({self.describe()})")
        return value


DEFAULT_WINDOW = TimeWindow(datetime(2000, 1, 1, tzinfo=UTC), timedelta(days=366))

_active = DEFAULT_WINDOW


def configure(window: TimeWindow) -> None:
    """Set the window of this process; called once at the edge (`cityops.cli.common.setup`).

    A process-wide setting rather than an argument: validation runs inside pydantic models,
    built in many places, and every one of them must apply the same window.
    """
    global _active
    _active = window


def active_window() -> TimeWindow:
    return _active


def check_timestamp(value: datetime) -> datetime:
    """An aware timestamp inside the active window, or OutOfBounds."""
    return _active.check(value)


def reject_bool(value: object) -> object:
    """JSON `true` is not the number 1: booleans are refused where numbers are expected."""
    if isinstance(value, bool):
        raise OutOfBounds("a boolean is not a number")
    return value


def numeric_code(value: object) -> int:
    """A source's numeric code (an int, or 1-3 ASCII digits with nothing around them).

    `" 2 "`, `"٢"` (Arabic-Indic) and `true` are not 2: `int()` would accept the first two.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _NUMERIC_CODE.fullmatch(value):
        return int(value)
    raise OutOfBounds("not a code of 1-3 ASCII digits")

"""Local time of the province: days are local days, timestamps are UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from cityops.contract.bounds import OutOfBounds, check_timestamp
from cityops.settings import LOCAL_TZ

TZ = ZoneInfo(LOCAL_TZ)

#: The two date forms sources send (docs/contract.md), ASCII digits only: `yyyyMMddHHmmss`, or
#: ISO 8601 calendar dates with an optional time (and offset). Week dates (`2026-W01-1`),
#: ordinal dates and non-ASCII digits, which `datetime.fromisoformat` also takes, are refused.
_COMPACT = re.compile(r"[0-9]{14}")
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(ts: datetime) -> date:
    """The `day` of the read API: the calendar day in Asia/Ho_Chi_Minh."""
    return ts.astimezone(TZ).date()


def parse_local(text: str, *, bounded: bool = True) -> datetime:
    """Parse a source date with no offset (`yyyyMMddHHmmss` or ISO 8601) as local time, in UTC.

    Raises ValueError on anything else, and OutOfBounds (a ValueError) outside the contract's
    time window: the caller dead-letters rather than guesses. The window check comes before
    any conversion, so a year-1900 date is never turned into UTC with the zone's local mean
    time (+07:06:40) as if it were a real instant. `bounded=False` is for positions that are
    not event times (a feed's cursor, e.g. `19700101000000`): no window, but still no local
    mean time.
    """
    text = text.strip()
    try:
        if _COMPACT.fullmatch(text):
            parsed = datetime.strptime(text, "%Y%m%d%H%M%S")
        elif _ISO.fullmatch(text):
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            raise ValueError
    except ValueError:  # the parsers' own messages quote the text
        raise ValueError("not yyyyMMddHHmmss or an ISO 8601 calendar date") from None
    if parsed.tzinfo is None:
        if bounded:
            # Compared as if UTC first: a day of slack either way is far inside the window's
            # bounds and keeps zoneinfo away from dates it can only answer with local mean time.
            check_timestamp(parsed.replace(tzinfo=UTC))
        parsed = parsed.replace(tzinfo=TZ)
        offset = parsed.utcoffset()
        if offset is None or offset.total_seconds() % 900:
            raise OutOfBounds("date before the zone's standard offsets (local mean time)")
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved across midnight of the calendar's ends
        raise OutOfBounds("date at the end of the calendar") from None
    return check_timestamp(utc) if bounded else utc


@lru_cache(maxsize=16)
def _vn_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Vietnamese public holiday."""
    return day.weekday() < 5 and day not in _vn_holidays(day.year)


def is_working_hours(ts: datetime, start_hour: int = 7, end_hour: int = 17) -> bool:
    local = ts.astimezone(TZ)
    return is_working_day(local.date()) and start_hour <= local.hour < end_hour


def add_working_days(start: datetime, days: float) -> datetime:
    """Move forward by working days (weekends and holidays skipped), keeping the clock time."""
    local = start.astimezone(TZ)
    whole = int(days)
    remainder = days - whole
    current = local
    while whole > 0:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            whole -= 1
    if remainder:
        current += timedelta(hours=8 * remainder)
        while not is_working_day(current.date()):
            current += timedelta(days=1)
    return current.astimezone(UTC)


def working_hours_between(start: datetime, end: datetime) -> float:
    """Hours between two instants counting only working days (8 h each, whole days)."""
    if end <= start:
        return 0.0
    total = 0.0
    cursor = start.astimezone(TZ)
    end_local = end.astimezone(TZ)
    while cursor < end_local:
        next_midnight = datetime.combine(
            cursor.date() + timedelta(days=1), datetime.min.time(), tzinfo=TZ
        )
        segment_end = min(next_midnight, end_local)
        if is_working_day(cursor.date()):
            total += (segment_end - cursor).total_seconds() / 3600 / 3
        cursor = segment_end
    return total


def subtract_working_days(end: datetime, days: float) -> datetime:
    """The instant `days` working days before `end` (same clock time), skipping days off."""
    local = end.astimezone(TZ)
    whole = int(days)
    remainder = days - whole
    current = local
    while whole > 0:
        current -= timedelta(days=1)
        if is_working_day(current.date()):
            whole -= 1
    if remainder:
        current -= timedelta(hours=8 * remainder)
        while not is_working_day(current.date()):
            current -= timedelta(days=1)
    return current.astimezone(UTC)

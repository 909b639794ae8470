"""Local time of the province: days are local days, timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from cityops.settings import LOCAL_TZ

TZ = ZoneInfo(LOCAL_TZ)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(ts: datetime) -> date:
    """The `day` of the read API: the calendar day in Asia/Ho_Chi_Minh."""
    return ts.astimezone(TZ).date()


def parse_local(text: str) -> datetime:
    """Parse a source date with no offset (`yyyyMMddHHmmss` or ISO 8601) as local time.

    Raises ValueError on anything else: the caller dead-letters rather than guesses.
    """
    text = text.strip()
    if len(text) == 14 and text.isdigit():
        naive = datetime.strptime(text, "%Y%m%d%H%M%S")
    else:
        naive = datetime.fromisoformat(text)
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=TZ).astimezone(UTC)


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

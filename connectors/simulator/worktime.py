"""Office hours of the simulated province, in local time.

Staff act (receive, resolve, return) only in working time: 7:30-17:00 on working days. The
holiday lookup is memoised per date because the generator asks it thousands of times.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

from cityops.timeutil import TZ, add_working_days
from cityops.timeutil import is_working_day as _is_working_day

OPEN = time(7, 30)
CLOSE = time(17, 0)


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    return _is_working_day(day)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=TZ)


def to_working_time(ts: datetime, rng: random.Random) -> datetime:
    """`ts` if an office would act then, else a moment early in the next working morning."""
    local = ts.astimezone(TZ)
    if is_working_day(local.date()) and OPEN <= local.time() < CLOSE:
        return local
    day = local.date()
    if local.time() >= CLOSE or not is_working_day(day):
        day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    opening = datetime.combine(day, OPEN, tzinfo=TZ)
    return opening + timedelta(minutes=rng.uniform(0, 90))


def after_working_days(start: datetime, days: float, rng: random.Random) -> datetime:
    """`days` working days after `start`, landing inside office hours."""
    return to_working_time(add_working_days(start, days).astimezone(TZ), rng)


class DayCurve:
    """Samples moments of a day whose density follows quarter-hour weights."""

    def __init__(self, weights: tuple[float, ...]) -> None:
        self._cum = list(accumulate(weights))
        self._slots = range(len(weights))

    def sample(self, rng: random.Random, day: date, count: int) -> list[datetime]:
        if count <= 0 or self._cum[-1] <= 0:
            return []
        midnight = local_midnight(day)
        slots = rng.choices(self._slots, cum_weights=self._cum, k=count)
        return [midnight + timedelta(seconds=int((slot + rng.random()) * 900)) for slot in slots]

"""The days before a live run, generated at once: a demo opens on a real day, not an empty one.

A live run starts now, so for its first minutes nothing is resolved and on-time reads "-".
Backfilling from the last working days up to now (sent as fast as the broker takes them,
before the live events) gives the wall resolutions, on-time rates, overdue dossiers and
alerts from the first minute. Working days, not calendar days: on a Monday, two calendar
days back are a weekend with no dossier, and nothing would be overdue yet. The backfill
draws from another seed than the live run, so the two never share a dossier id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pydantic import SecretStr

from cityops.contract.events import Envelope
from cityops.timeutil import TZ, is_working_day
from connectors.simulator.generator import generate

#: Offset of the backfill's seed from the live run's.
SEED_OFFSET = 1000


def backfill_events(
    *,
    days: int,
    now: datetime,
    seed: int,
    scale: float,
    hash_key: SecretStr | None = None,
) -> list[Envelope]:
    """Events from the start of the `days`-th working day before today until `now`, in time
    order (the days between included, weekends and holidays too)."""
    if days <= 0:
        return []
    first = now.astimezone(TZ).date()
    for _ in range(days):
        first -= timedelta(days=1)
        while not is_working_day(first):
            first -= timedelta(days=1)
    start = datetime.combine(first, time(), tzinfo=TZ)
    hours = (now - start).total_seconds() / 3600
    events = generate(
        start=start, hours=hours, seed=seed + SEED_OFFSET, scale=scale, hash_key=hash_key
    )
    return [e for e in events if e.occurred_at <= now]

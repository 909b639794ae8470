"""The days before a live run, generated at once: a demo opens on a real day, not an empty one.

A live run starts now, so for its first minutes nothing is resolved and on-time reads "-".
Backfilling the last days up to now (sent as fast as the broker takes them, before the live
events) gives the wall resolutions, on-time rates, overdue dossiers and alerts from the
first minute. The backfill draws from another seed than the live run, so the two never
share a dossier id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pydantic import SecretStr

from cityops.contract.events import Envelope
from cityops.timeutil import TZ
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
    """Events of the `days` local days before today and of today until `now`, in time order."""
    if days <= 0:
        return []
    start = datetime.combine(now.astimezone(TZ).date() - timedelta(days=days), time(), tzinfo=TZ)
    hours = (now - start).total_seconds() / 3600
    events = generate(
        start=start, hours=hours, seed=seed + SEED_OFFSET, scale=scale, hash_key=hash_key
    )
    return [e for e in events if e.occurred_at <= now]

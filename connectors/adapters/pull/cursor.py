"""Where a pull connector is in its source's change feed, and the rules for moving it.

The feed is ordered by (change time, id), so a position is that pair. It only ever moves
forward: a record whose own position cannot be read (no change time, one that does not
parse, a scalar instead of an object) does not move it, and a record at or before the
current position is one the source should not have served (it ignored the cursor, or its
clock went backwards), so it is refused rather than followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityops.timeutil import TZ, parse_local

#: Format of `updated_since` in the feed's query (local time, like the records).
CURSOR_FORMAT = "%Y%m%d%H%M%S"
#: The longest record id taken as a tie-breaker; a longer one is not a position.
MAX_ID_CHARS = 256


def cursor_key(value: Any) -> str | None:
    """A change time as the feed's `updated_since` (local yyyyMMddHHmmss), or None.

    None for anything that is not a date string or number that parses to a storable time
    (empty, garbage, year 1, a boolean): such a record is not a position to resume from.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        # A position, not an event time: no window (a feed may start from 1970), but still
        # refused where the zone has only local mean time or the calendar ends.
        stamp = parse_local(str(value), bounded=False).astimezone(TZ).strftime(CURSOR_FORMAT)
    except (ValueError, OverflowError):
        return None
    # strftime writes years before 1000 with fewer digits: they would not sort as text.
    return stamp if len(stamp) == len("20250303080000") else None


@dataclass(frozen=True, order=True)
class Position:
    """After which record the next poll starts: `updated_since` inclusive, `after_id`
    exclusive among records of that second (the feed's protocol)."""

    updated_since: str
    after_id: str = ""

    def as_checkpoint(self) -> dict[str, str]:
        return {"updated_since": self.updated_since, "after_id": self.after_id}

    @classmethod
    def from_checkpoint(cls, saved: dict[str, Any] | None) -> Position | None:
        """A saved position, or None when there is none usable (an empty cursor included)."""
        if not saved:
            return None
        since = cursor_key(saved.get("updated_since"))
        after = saved.get("after_id")
        if since is None or not isinstance(after, str):
            return None
        return cls(since, after)


def record_position(record: Any, cursor_field: str, id_field: str) -> Position | None:
    """The position right after `record`, or None when the record does not carry one."""
    if not isinstance(record, dict):
        return None
    since = cursor_key(record.get(cursor_field))
    raw_id = record.get(id_field)
    if since is None or isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        return None
    after = str(raw_id)
    if not after.strip() or len(after) > MAX_ID_CHARS:
        return None
    return Position(since, after)

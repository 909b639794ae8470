"""Rolling counts over minute buckets, by event time.

Event time (not arrival time) makes a replay of yesterday produce yesterday's alerts, and a
burst of late events land in the minutes they belong to. A window is a dict minute -> [hits,
total], small enough to live in a changelogged Faust table and be JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RollingRate:
    """Hits out of a total per minute; `rate()` over the last `window` minutes."""

    buckets: dict[int, list[int]] = field(default_factory=dict)
    #: Newest minute seen: the window's right edge (a watermark of this key's events).
    newest: int = 0

    def add(self, minute: int, hits: int, total: int = 1) -> None:
        bucket = self.buckets.setdefault(minute, [0, 0])
        bucket[0] += hits
        bucket[1] += total
        self.newest = max(self.newest, minute)

    def totals(self, window: int, now_minute: int | None = None) -> tuple[int, int]:
        edge = self.newest if now_minute is None else now_minute
        hits = total = 0
        for minute, (h, t) in self.buckets.items():
            if edge - window < minute <= edge:
                hits += h
                total += t
        return hits, total

    def rate(self, window: int, now_minute: int | None = None) -> float | None:
        hits, total = self.totals(window, now_minute)
        return None if total == 0 else hits / total

    def prune(self, window: int) -> None:
        for minute in [m for m in self.buckets if m <= self.newest - window]:
            del self.buckets[minute]

    def to_dict(self) -> dict[str, Any]:
        return {"buckets": {str(k): v for k, v in self.buckets.items()}, "newest": self.newest}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RollingRate:
        return cls({int(k): list(v) for k, v in data.get("buckets", {}).items()}, data["newest"])

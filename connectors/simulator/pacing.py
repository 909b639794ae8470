"""When to emit each event: as fast as possible, at a fixed rate, or replaying event time.

A replay sleeps by the event-time gap divided by the speed-up, so a day plays in minutes
with its real rhythm (the morning peak, the lunch dip). Sleeping goes through a `stop`
event so Ctrl-C or SIGTERM interrupts a long wait at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime


class Pacer:
    def __init__(
        self,
        *,
        rate: float | None = None,
        speedup: float | None = None,
        anchor: datetime | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate`: at most that many events a second; `speedup`: replay event time that many
        times faster than real time, from `anchor` (the event time that maps to "now")."""
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        if speedup is not None and speedup <= 0:
            raise ValueError("speedup must be positive")
        self.rate = rate
        self.speedup = speedup
        self.anchor = anchor
        self.stop = stop or threading.Event()
        self.clock = clock
        self._started = clock()
        self.count = 0

    def delay(self, occurred_at: datetime) -> float:
        """Seconds to wait before emitting an event of this time (0: emit now)."""
        now = self.clock() - self._started
        wait = 0.0
        if self.rate is not None:
            wait = max(wait, self.count / self.rate - now)
        if self.speedup is not None:
            if self.anchor is None:
                self.anchor = occurred_at
            offset = (occurred_at - self.anchor).total_seconds() / self.speedup
            wait = max(wait, offset - now)
        return wait

    def wait(self, occurred_at: datetime) -> bool:
        """Sleep until the event is due; False when asked to stop meanwhile."""
        wait = self.delay(occurred_at)
        self.count += 1
        if wait > 0:
            return not self.stop.wait(wait)
        return not self.stop.is_set()

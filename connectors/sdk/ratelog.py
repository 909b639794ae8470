"""Warnings about rejected input, at most a few lines per interval.

A hostile or broken source can send thousands of bad records a second; one log line each
would turn a cheap rejection into disk and CPU load (and bury the lines that matter). The
first `burst` lines of each interval are written, the rest counted, and the count reported
with the next line that is written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RateLimitedLog:
    def __init__(
        self,
        log: logging.Logger,
        *,
        burst: int = 10,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = -interval
        self._written = 0
        self._suppressed = 0

    def warning(self, message: str, *args: object) -> bool:
        """Log unless this interval's burst is used up; returns whether it was written."""
        with self._lock:
            now = self._clock()
            if now - self._window_start >= self.interval:
                self._window_start, self._written = now, 0
            if self._written >= self.burst:
                self._suppressed += 1
                return False
            self._written += 1
            suppressed, self._suppressed = self._suppressed, 0
        if suppressed:
            message += " (%d similar lines suppressed)"
            args = (*args, suppressed)
        self.log.warning(message, *args)
        return True

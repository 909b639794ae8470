"""The worker's garbage collector: collect young objects in bigger steps, the whole heap rarely.

A worker allocates many short-lived objects per record (decoded events, rows, state dicts)
and keeps long-lived ones: with the memory store, every state it holds. CPython's default
thresholds (700, 10, 10) run a full collection every ~70,000 net allocations once the heap
has grown by a quarter, and each one traverses every state held. `make bench` (400,000
events, memory store, 2 cores) measured it with `gc.callbacks`: 46 full collections took
10.7 s of a 37 s backfill, all collections 12.9 s. With `streams.gc_threshold`'s default
(50,000, 10, 10), the same ratios between generations over a young generation 70 times
larger: no full collection during the backfill, all collections 2.0 s.

Memory is still freed as before: reference counting frees every object that is not in a
cycle the moment it is dropped; the collector only finds cycles, which a worker makes few
of (tasks, futures, exceptions), and a young cycle is still found within 50,000
allocations. Full collections still run, as the heap grows.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("cityops.streams")


def tune_gc(threshold: tuple[int, int, int]) -> None:
    """Set the collector's thresholds (`gc.set_threshold`: young, middle, old)."""
    gc.set_threshold(*threshold)
    log.info("garbage collector thresholds %s (streams.gc_threshold)", threshold)

"""Which tables a batch processor wrote to, so that it flushes (and waits for) only those.

The sink is shared by every processor of a worker; if each flush wrote every table, a table
ClickHouse cannot take (down for it alone, or retrying) would hold the processors of all the
others. Each processor runs as its own asyncio task, and a task has its own copy of the
context, so a `ContextVar` records the tables of the batch being handled without the
processors having to declare them, and without one task seeing another's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_RECORDING: ContextVar[set[str] | None] = ContextVar("cityops_sink_tables", default=None)


@contextmanager
def recording_tables() -> Iterator[set[str]]:
    """Collect the names of the tables rows are added to inside this block (in this task)."""
    names: set[str] = set()
    token = _RECORDING.set(names)
    try:
        yield names
    finally:
        _RECORDING.reset(token)


def note_table(name: str) -> None:
    """Called by the sink for every `extend`; a no-op outside `recording_tables()`."""
    names = _RECORDING.get()
    if names is not None:
        names.add(name)

"""A batching ClickHouse sink: buffer rows per table, write columnar batches, never drop.

The worker's contract with the sink (the Quix `BatchingSink` pattern): `add` rows as events
are processed, call `flush()` (in an executor thread: it blocks) when `flush_due()` says so or
before committing Kafka offsets, and commit only after `flush()` returned. `flush()` returns
only when ClickHouse acknowledged every row buffered at the time of the call; while
ClickHouse is slow or down it retries with capped exponential backoff, so an outage becomes
a pause. Only `stop()`/`close()` end the wait, by raising `SinkClosed`: the rows stay
buffered and, since their offsets were never committed, are re-read after a restart.
Re-written rows are harmless: every table is a ReplacingMergeTree keyed for idempotency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clickhouse_driver import Client

from cityops.db.client import make_client
from cityops.db.sqltext import identifier
from cityops.db.tables import BY_NAME, TableSpec
from cityops.settings import ClickHouseSettings

log = logging.getLogger(__name__)

Row = tuple[Any, ...]


_DATETIME_TYPES = frozenset({"DateTime", "Nullable(DateTime)"})


def _epoch_seconds(values: Iterable[Any]) -> list[Any]:
    """Aware datetimes as epoch seconds, which clickhouse-driver writes as they are.

    Given datetimes, the driver converts each through pytz in Python; on a backfill that was a
    tenth of the worker's CPU. Naive datetimes (and None) are left for the driver as before.
    """
    return [
        int(v.timestamp()) if isinstance(v, datetime) and v.tzinfo is not None else v
        for v in values
    ]


class SinkClosed(RuntimeError):
    """The sink was stopped before ClickHouse acknowledged the rows; do not commit offsets."""


@dataclass
class SinkMetrics:
    """A snapshot of the sink's counters, for logs and the pipeline-health dashboard."""

    rows_inserted: dict[str, int] = field(default_factory=dict)
    insert_errors: int = 0
    flushes: int = 0
    last_flush_seconds: float = 0.0
    buffered_rows: int = 0
    last_error: str = ""


class ClickHouseSink:
    """Buffers rows per table and writes them in batches; see the module doc for the protocol."""

    def __init__(
        self,
        client_factory: Callable[[], Client],
        database: str,
        *,
        max_rows: int = 5000,
        max_age: float = 1.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 10.0,
    ) -> None:
        self._factory = client_factory
        self._database = identifier(database)
        self.max_rows = max_rows
        self.max_age = max_age
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._client: Client | None = None
        self._buffers: dict[str, list[Row]] = {}
        self._oldest: float | None = None
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stopped = threading.Event()
        self._metrics = SinkMetrics()
        self._background: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: ClickHouseSettings, **kwargs: Any) -> ClickHouseSink:
        return cls(lambda: make_client(settings), settings.database, **kwargs)

    # -- buffering (cheap, no I/O: safe to call on the event loop) ---------------------------

    def add(self, table: TableSpec | str, row: Row) -> bool:
        """Buffer one row; returns whether a flush is now due."""
        return self.extend(table, (row,))

    def extend(self, table: TableSpec | str, rows: Iterable[Row]) -> bool:
        spec = BY_NAME[table] if isinstance(table, str) else table
        width = len(spec.columns)
        batch = list(rows)
        for row in batch:
            if len(row) != width:
                raise ValueError(f"{spec.name}: row has {len(row)} values, table has {width}")
        with self._buffer_lock:
            self._buffers.setdefault(spec.name, []).extend(batch)
            if batch and self._oldest is None:
                self._oldest = time.monotonic()
        return self.flush_due()

    def buffered(self) -> int:
        with self._buffer_lock:
            return sum(len(rows) for rows in self._buffers.values())

    def flush_due(self) -> bool:
        with self._buffer_lock:
            if self._oldest is None:
                return False
            if any(len(rows) >= self.max_rows for rows in self._buffers.values()):
                return True
            return time.monotonic() - self._oldest >= self.max_age

    # -- writing (blocking: call from a thread, e.g. loop.run_in_executor) -------------------

    def maybe_flush(self) -> int:
        """Flush if due; returns the rows written (0 when nothing was due)."""
        return self.flush() if self.flush_due() else 0

    def flush(self) -> int:
        """Write every buffered row; returns once ClickHouse acknowledged them all.

        Raises SinkClosed if the sink is stopped first; unwritten rows stay buffered.
        """
        with self._flush_lock:
            with self._buffer_lock:
                batches, self._buffers, self._oldest = self._buffers, {}, None
            started = time.monotonic()
            written = 0
            names = sorted(batches)
            for index, name in enumerate(names):
                rows = batches[name]
                if not rows:
                    continue
                try:
                    self._insert_with_retry(BY_NAME[name], rows)
                except SinkClosed:
                    self._requeue({n: batches[n] for n in names[index:]})
                    raise
                written += len(rows)
            self._metrics.flushes += 1
            self._metrics.last_flush_seconds = time.monotonic() - started
            return written

    def _requeue(self, batches: dict[str, list[Row]]) -> None:
        """Put unwritten rows back in front of anything added since, keeping their order."""
        with self._buffer_lock:
            for name, rows in batches.items():
                self._buffers[name] = rows + self._buffers.get(name, [])
            if any(self._buffers.values()):
                self._oldest = self._oldest or time.monotonic()

    def _insert_with_retry(self, spec: TableSpec, rows: list[Row]) -> None:
        delay = self._backoff_initial
        columns = [
            _epoch_seconds(column) if spec.columns[index].type in _DATETIME_TYPES else list(column)
            for index, column in enumerate(zip(*rows, strict=True))
        ]
        while True:
            if self._stopped.is_set():
                raise SinkClosed(f"sink stopped with {len(rows)} rows of {spec.name} unwritten")
            try:
                client = self._client or self._factory()
                self._client = client
                client.execute(
                    spec.insert_sql(self._database), columns, columnar=True, types_check=False
                )
            except Exception as exc:  # any failure: drop the connection, wait, try again
                self._metrics.insert_errors += 1
                self._metrics.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "insert of %d rows into %s failed (%s); retrying in %.1fs",
                    len(rows),
                    spec.name,
                    self._metrics.last_error.splitlines()[0],
                    delay,
                )
                self._disconnect()
                self._stopped.wait(delay)
                delay = min(delay * 2, self._backoff_max)
                continue
            self._metrics.rows_inserted[spec.name] = self._metrics.rows_inserted.get(
                spec.name, 0
            ) + len(rows)
            return

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # the connection is being thrown away anyway
                log.debug("disconnect failed", exc_info=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start_background(self, interval: float | None = None) -> None:
        """Flush in a daemon thread whenever due (for writers that never commit offsets)."""
        if self._background is not None:
            return
        period = interval if interval is not None else max(0.05, self.max_age / 2)

        def run() -> None:
            while not self._stopped.wait(period):
                try:
                    self.maybe_flush()
                except SinkClosed:
                    return

        self._background = threading.Thread(target=run, name="clickhouse-sink", daemon=True)
        self._background.start()

    def stop(self) -> None:
        """End any retry wait now; a flush in progress raises SinkClosed."""
        self._stopped.set()

    def close(self) -> None:
        """Stop, wait for a flush in progress to give up, and drop the connection."""
        self.stop()
        if self._background is not None:
            self._background.join()
        with self._flush_lock:
            self._disconnect()
        left = self.buffered()
        if left:
            log.warning(
                "sink closed with %d rows unwritten (their offsets were not committed)", left
            )

    def metrics(self) -> SinkMetrics:
        with self._buffer_lock:
            buffered = sum(len(rows) for rows in self._buffers.values())
        m = self._metrics
        return SinkMetrics(
            rows_inserted=dict(m.rows_inserted),
            insert_errors=m.insert_errors,
            flushes=m.flushes,
            last_flush_seconds=m.last_flush_seconds,
            buffered_rows=buffered,
            last_error=m.last_error,
        )

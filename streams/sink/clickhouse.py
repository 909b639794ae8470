"""A batching ClickHouse sink: buffer rows per table, write columnar batches, never drop.

The worker's contract with the sink (the Quix `BatchingSink` pattern): `extend` rows as events
are processed, call `flush(tables)` (in an executor thread: it blocks) before acknowledging
the records those rows came from, then `take_rejected(tables)` and dead-letter what it returns,
and only then acknowledge. `flush()` returns once every row of those tables buffered at the
time of the call is either in ClickHouse or rejected:

- a transient failure (server down, slow, overloaded) is retried with capped exponential
  backoff, so an outage becomes a pause;
- a data error (a value the column cannot hold: see poison.py) is never retried as is: the
  failed block is bisected until the rows that cause it are found; they become `RejectedRow`s,
  the rest is written;
- each table has its own lock, connection and buffer, so one table's trouble never holds a
  writer of another table.

Only `drain()`/`stop()`/`close()` end a retry, by raising `SinkClosed`: the unwritten rows stay
buffered and, since their offsets were never committed, are re-read after a restart.
Re-written rows are harmless: every table is a ReplacingMergeTree keyed for idempotency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clickhouse_driver import Client

from cityops.db.client import make_client
from cityops.db.sqltext import identifier
from cityops.db.tables import BY_NAME, TableSpec
from cityops.settings import ClickHouseSettings
from streams.sink.poison import RejectedRow, describe, is_data_error
from streams.sink.tracking import note_table

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


class _DataError(Exception):
    """An attempt failed in a way retrying cannot fix (carries the original error)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


@dataclass
class SinkMetrics:
    """A snapshot of the sink's counters, for logs, /metrics and the pipeline-health view."""

    rows_inserted: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, int] = field(default_factory=dict)
    insert_errors: int = 0
    flushes: int = 0
    last_flush_seconds: float = 0.0
    buffered_rows: int = 0
    last_error: str = ""
    #: Per table with rows waiting (buffered or being written): seconds since it last
    #: succeeded, or since its rows started waiting if that is later.
    waiting_seconds: dict[str, float] = field(default_factory=dict)

    def stuck(self, after_seconds: float) -> list[str]:
        """Tables with rows waiting and no successful write for longer than `after_seconds`."""
        return sorted(t for t, s in self.waiting_seconds.items() if s > after_seconds)


@dataclass
class _Table:
    """One table's buffer and writer: flushed independently of every other table."""

    spec: TableSpec
    rows: list[Row] = field(default_factory=list)
    #: Parallel to `rows`: each row's original record bytes, when the writer passed them.
    originals: list[bytes | None] = field(default_factory=list)
    topic: str | None = None
    #: When the oldest buffered row arrived (flush due by age), and since when rows wait at all.
    buffered_since: float | None = None
    waiting_since: float | None = None
    in_flight: int = 0
    last_success: float = field(default_factory=time.monotonic)
    rejected: list[RejectedRow] = field(default_factory=list)
    #: Held while writing: one writer per table, and its own connection (a Client is not
    #: thread-safe, and another table's retry must not hold this one).
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Client | None = None


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
        self._tables: dict[str, _Table] = {}
        self._buffer_lock = threading.Lock()
        self._stopped = threading.Event()
        #: Set by drain() and stop(): a failed attempt gives up instead of backing off.
        self._draining = threading.Event()
        self._metrics = SinkMetrics()
        self._background: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: ClickHouseSettings, **kwargs: Any) -> ClickHouseSink:
        return cls(lambda: make_client(settings), settings.database, **kwargs)

    # -- buffering (cheap, no I/O: safe to call on the event loop) ---------------------------

    def add(self, table: TableSpec | str, row: Row) -> bool:
        """Buffer one row; returns whether a flush is now due."""
        return self.extend(table, (row,))

    def extend(
        self,
        table: TableSpec | str,
        rows: Iterable[Row],
        *,
        originals: Sequence[bytes | None] | None = None,
        topic: str | None = None,
    ) -> bool:
        """Buffer rows; `originals` (parallel to `rows`) and `topic` say where each came from,
        so a row ClickHouse rejects is dead-lettered as the record it was, ready to replay."""
        spec = BY_NAME[table] if isinstance(table, str) else table
        width = len(spec.columns)
        batch = list(rows)
        for row in batch:
            if len(row) != width:
                raise ValueError(f"{spec.name}: row has {len(row)} values, table has {width}")
        if originals is not None and len(originals) != len(batch):
            raise ValueError(f"{spec.name}: {len(originals)} originals for {len(batch)} rows")
        note_table(spec.name)
        with self._buffer_lock:
            buffer = self._tables.get(spec.name) or self._tables.setdefault(spec.name, _Table(spec))
            buffer.rows.extend(batch)
            buffer.originals.extend(originals if originals is not None else [None] * len(batch))
            buffer.topic = topic or buffer.topic
            if batch:
                now = time.monotonic()
                buffer.buffered_since = buffer.buffered_since or now
                buffer.waiting_since = buffer.waiting_since or now
        return self.flush_due()

    def buffered(self) -> int:
        with self._buffer_lock:
            return sum(len(t.rows) for t in self._tables.values())

    def flush_due(self) -> bool:
        with self._buffer_lock:
            now = time.monotonic()
            return any(
                len(t.rows) >= self.max_rows
                or (t.buffered_since is not None and now - t.buffered_since >= self.max_age)
                for t in self._tables.values()
            )

    def take_rejected(self, tables: Collection[str] | None = None) -> list[RejectedRow]:
        """The rows found unstorable since the last call (for these tables), to dead-letter
        before acknowledging the records they came from."""
        taken: list[RejectedRow] = []
        with self._buffer_lock:
            for name, buffer in self._tables.items():
                if tables is None or name in tables:
                    taken += buffer.rejected
                    buffer.rejected = []
        return taken

    # -- writing (blocking: call from a thread, e.g. loop.run_in_executor) -------------------

    def maybe_flush(self) -> int:
        """Flush if due; returns the rows written (0 when nothing was due)."""
        return self.flush() if self.flush_due() else 0

    def flush(self, tables: Collection[str] | None = None) -> int:
        """Write every buffered row of `tables` (default: all); returns the rows written.

        Rows rejected for their data are not written and wait in `take_rejected()`. Raises
        SinkClosed if the sink is stopped first; unwritten rows stay buffered.
        """
        started = time.monotonic()
        with self._buffer_lock:
            names = sorted(n for n in self._tables if tables is None or n in tables)
        written = sum(self._flush_table(self._tables[name]) for name in names)
        self._metrics.flushes += 1
        self._metrics.last_flush_seconds = time.monotonic() - started
        return written

    def _flush_table(self, buffer: _Table) -> int:
        with buffer.lock:
            with self._buffer_lock:
                rows, originals = buffer.rows, buffer.originals
                buffer.rows, buffer.originals, buffer.buffered_since = [], [], None
                buffer.in_flight = len(rows)
            if not rows:
                return 0
            try:
                written = self._write(buffer, rows, originals)
            finally:
                with self._buffer_lock:
                    buffer.in_flight = 0
                    if not buffer.rows:
                        buffer.waiting_since = None
            return written

    def _write(self, buffer: _Table, rows: list[Row], originals: list[bytes | None]) -> int:
        """Write `rows`, bisecting any block that fails for its data down to the bad rows."""
        spec = buffer.spec
        pending = [(0, len(rows))]  # ranges still to write, the next one last
        written = 0
        while pending:
            start, end = pending.pop()
            try:
                self._insert_with_retry(buffer, rows[start:end])
            except SinkClosed:
                left = sorted([(start, end), *pending])
                self._requeue(buffer, [i for a, b in left for i in range(a, b)], rows, originals)
                raise
            except _DataError as failure:
                if end - start > 1:
                    middle = (start + end) // 2
                    pending += [(middle, end), (start, middle)]
                    continue
                self._reject(buffer, rows[start], originals[start], failure)
                continue
            written += end - start
        self._metrics.rows_inserted[spec.name] = (
            self._metrics.rows_inserted.get(spec.name, 0) + written
        )
        return written

    def _reject(
        self, buffer: _Table, row: Row, original: bytes | None, failure: _DataError
    ) -> None:
        name = buffer.spec.name
        reason = f"sink: ClickHouse cannot store this row of {name}: {failure}"
        log.error(
            "rejected a row of %s for its data (%s); it goes to the dead letters", name, failure
        )
        with self._buffer_lock:
            buffer.rejected.append(RejectedRow(name, row, reason, buffer.topic, original))
            self._metrics.rows_rejected[name] = self._metrics.rows_rejected.get(name, 0) + 1

    def _requeue(
        self, buffer: _Table, indexes: list[int], rows: list[Row], originals: list[bytes | None]
    ) -> None:
        """Put unwritten rows back in front of anything added since, keeping their order."""
        with self._buffer_lock:
            buffer.rows = [rows[i] for i in indexes] + buffer.rows
            buffer.originals = [originals[i] for i in indexes] + buffer.originals
            if buffer.rows:
                buffer.buffered_since = buffer.buffered_since or time.monotonic()

    def _insert_with_retry(self, buffer: _Table, rows: list[Row]) -> None:
        """Insert once it works; raises _DataError at once for a data error, SinkClosed when
        stopped (or draining and the attempt failed)."""
        spec = buffer.spec
        delay = self._backoff_initial
        while True:
            if self._stopped.is_set():
                raise SinkClosed(f"sink stopped with {len(rows)} rows of {spec.name} unwritten")
            try:
                columns = [
                    _epoch_seconds(col) if spec.columns[i].type in _DATETIME_TYPES else list(col)
                    for i, col in enumerate(zip(*rows, strict=True))
                ]
                buffer.client = buffer.client or self._factory()
                buffer.client.execute(
                    spec.insert_sql(self._database), columns, columnar=True, types_check=False
                )
            except Exception as exc:
                self._metrics.insert_errors += 1
                self._disconnect(buffer)  # a failed insert leaves the connection mid-protocol
                if is_data_error(exc):
                    raise _DataError(exc) from exc
                self._metrics.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "insert of %d rows into %s failed (%s); retrying in %.1fs",
                    len(rows),
                    spec.name,
                    self._metrics.last_error.splitlines()[0],
                    delay,
                )
                if self._draining.wait(delay):
                    raise SinkClosed(
                        f"sink stopping with {len(rows)} rows of {spec.name} unwritten"
                    ) from exc
                delay = min(delay * 2, self._backoff_max)
                continue
            buffer.last_success = time.monotonic()
            return

    def _disconnect(self, buffer: _Table) -> None:
        client, buffer.client = buffer.client, None
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

    def drain(self) -> None:
        """Shutting down: each write still gets its attempt, but a failed one is not retried
        (SinkClosed instead), so a worker stops within seconds even while ClickHouse is down."""
        self._draining.set()

    def stop(self) -> None:
        """End any retry wait now; a flush in progress raises SinkClosed."""
        self._stopped.set()
        self._draining.set()

    def close(self) -> None:
        """Stop, wait for a flush in progress to give up, and drop the connections."""
        self.stop()
        if self._background is not None:
            self._background.join()
        for buffer in list(self._tables.values()):
            with buffer.lock:
                self._disconnect(buffer)
        left = self.buffered()
        if left:
            log.warning(
                "sink closed with %d rows unwritten (their offsets were not committed)", left
            )

    def metrics(self) -> SinkMetrics:
        now = time.monotonic()
        with self._buffer_lock:
            buffered = sum(len(t.rows) for t in self._tables.values())
            waiting = {
                name: now - max(t.last_success, t.waiting_since)
                for name, t in self._tables.items()
                if t.waiting_since is not None and (t.rows or t.in_flight)
            }
        m = self._metrics
        return SinkMetrics(
            rows_inserted=dict(m.rows_inserted),
            rows_rejected=dict(m.rows_rejected),
            insert_errors=m.insert_errors,
            flushes=m.flushes,
            last_flush_seconds=m.last_flush_seconds,
            buffered_rows=buffered,
            last_error=m.last_error,
            waiting_seconds=waiting,
        )

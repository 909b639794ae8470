"""What every processor of a worker shares: settings, topics, the ClickHouse sink, metrics, and
the two side outputs (dead letters and alerts)."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import Message

from cityops.contract import ALERTS, DEADLETTER, AlertEvent, DeadLetter, Envelope, TopicSpec
from cityops.db.tables import BY_NAME, CONSUMER_LAG, DEADLETTERS, SINK_HEALTH
from cityops.privacy import TOPIC_FIELDS, redact_document, safe_reason
from cityops.settings import Settings
from streams.codec import decode
from streams.handover import drain_buffer
from streams.metrics import Metrics
from streams.runtime import App
from streams.sink.clickhouse import SinkClosed
from streams.sink.poison import RejectedRow
from streams.sink.tracking import recording_tables

log = logging.getLogger("cityops.streams")

#: The topic of rate signals between the source processors and the rates processor (internal).
SIGNALS_TOPIC = "cityops-internal.signals.v1"


#: What a batch processor does with one batch of Kafka records.
BatchHandler = Callable[[Sequence[Message]], Awaitable[None]]

#: Tables whose unstorable rows are logged and dropped rather than dead-lettered: dead letters
#: of dead letters would loop, and samples (lag, sink health) are replaced by the next one.
NOT_DEAD_LETTERED = frozenset({DEADLETTERS.name, CONSUMER_LAG.name, SINK_HEALTH.name})


@dataclass
class Context:
    settings: Settings
    app: App
    sink: Any
    metrics: Metrics = field(default_factory=Metrics)
    topics: dict[str, faust.TopicT] = field(default_factory=dict)
    #: Written into the `source` field of events the workers produce (alerts).
    source: str = "cityops-streams"
    #: Every batch processor's handler by name: what the worker runs, and what tests call.
    processors: dict[str, BatchHandler] = field(default_factory=dict)
    #: The stateful processor objects by short name (streams/processor.py).
    stateful: dict[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.settings.kafka.namespace

    def topic(self, spec: TopicSpec) -> faust.TopicT:
        name = spec.name(self.namespace)
        if name not in self.topics:
            self.topics[name] = self.app.topic(
                name,
                key_serializer="raw",
                value_serializer="raw",
                partitions=spec.partition_count(self.settings.kafka.partitions),
                internal=False,
            )
        return self.topics[name]

    def signals_topic(self) -> faust.TopicT:
        name = f"{self.namespace}.{SIGNALS_TOPIC}" if self.namespace else SIGNALS_TOPIC
        if name not in self.topics:
            self.topics[name] = self.app.topic(
                name, key_serializer="raw", value_serializer="raw", partitions=1, internal=True
            )
        return self.topics[name]

    async def flush(self, tables: set[str] | None = None) -> None:
        """Write the buffered rows of `tables` (default: all); returns only once ClickHouse
        acknowledged them, or they were rejected for their data and are dead-lettered."""
        started = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, self.sink.flush, tables)
        self.metrics.flushes += 1
        self.metrics.flush_seconds_total += time.monotonic() - started
        self.metrics.last_flush_at = time.time()
        for rejected in self.sink.take_rejected(tables):
            await self.dead_letter_row(rejected)

    async def dead_letter(self, spec: TopicSpec, value: bytes | None, reason: str) -> None:
        reason = safe_reason(reason, self.settings.hash_key)
        self.metrics.dead_letters[spec.base] += 1
        log.warning("dead-lettered a %s record: %s", spec.base, reason)
        await self._send_dead_letter(value, reason, "worker", spec.name(self.namespace))

    async def dead_letter_row(self, rejected: RejectedRow) -> None:
        """A row the sink could not store: dead-lettered as the record it came from."""
        reason = safe_reason(rejected.reason, self.settings.hash_key)
        if rejected.table in NOT_DEAD_LETTERED:
            self.metrics.rows_dropped[rejected.table] += 1
            log.error("dropped an unstorable row of %s: %s", rejected.table, reason)
            return
        original = rejected.original_bytes(BY_NAME[rejected.table])
        await self._send_dead_letter(original, reason, "sink", rejected.topic)

    async def _send_dead_letter(
        self, value: bytes | None, reason: str, stage: str, topic: str | None
    ) -> None:
        """Redacted like a connector's dead letter (only contract fields in the clear, masked):
        whoever wrote the record to the topic may not have applied the privacy rules."""
        key = self.settings.hash_key
        original = redact_document(value, TOPIC_FIELDS, key) if value else b""
        record = DeadLetter(
            source=self.source,
            reason=reason,
            original_b64=base64.b64encode(original).decode(),
            original_text=original.decode("utf-8", errors="replace")[:65536],
            at=datetime.now(UTC),
            stage=stage,
            topic=topic,
        )
        await self.topic(DEADLETTER).send(key=self.source.encode(), value=record.to_json_bytes())

    async def decode_batch(
        self, spec: TopicSpec, batch: Sequence[Message]
    ) -> list[tuple[Message, Envelope]]:
        """Each record with its event; what does not decode is dead-lettered with the reason."""
        decoded = []
        for record in batch:
            model = decode(spec, record.value)
            if isinstance(model, str):
                await self.dead_letter(spec, record.value, model)
            else:
                decoded.append((record, model))
        return decoded

    async def send_signal(self, value: bytes) -> None:
        """One rate signal (streams/rates/signals.py) to the rates processor, queued like an
        alert (see `publish_alert`)."""
        self.signals_topic().send_soon(key=b"s", value=value)

    async def publish_alert(self, alert: AlertEvent) -> None:
        """Queue an alert in the producer's buffer, behind the table changelog records the
        processor wrote before it (`Table.send_changelog` queues there too). `Topic.send`
        would hand it to the Kafka client at once, ahead of those records: a SIGKILL could
        then leave a firing alert in Kafka whose state change never reached the changelog,
        and the next owner of the dossier would never resolve it (found by make test-faults).
        The buffer is flushed before offsets are committed."""
        self.metrics.alerts[f"{alert.kind.value}:{alert.state.value}"] += 1
        log.info("alert %s %s: %s", alert.state.value, alert.alert_id, alert.message_en)
        self.topic(ALERTS).send_soon(key=alert.key().encode(), value=alert.to_json_bytes())


def _register_stock_agent(
    ctx: Context, topic: faust.TopicT, name: str, handle: BatchHandler
) -> None:
    """The same processor on faust-streaming's own batching (`streams.batching: stock`), for
    `make bench` to measure streams/runtime.py against: an agent taking events in batches,
    which Faust acknowledges once the body has processed and flushed them (no overlap of the
    flush with the next batch: stock `take_events` hands out one batch at a time)."""
    cfg = ctx.settings.streams
    ctx.processors[name] = handle

    async def process(stream: faust.StreamT[Any]) -> None:
        async for events in stream.take_events(cfg.batch_max_rows, within=cfg.batch_max_seconds):
            with recording_tables() as tables:
                await handle([event.message for event in events])
            await ctx.flush(tables)

    process.__name__ = process.__qualname__ = name
    ctx.app.agent(topic, name=name)(process)


def register_batch_processor(
    ctx: Context, topic: faust.TopicT, name: str, handle: BatchHandler
) -> None:
    """Process `topic` in batches of Kafka records (`Message`: .value, .partition, .offset),
    delivered through an inbox rather than Faust's per-record streams (streams/runtime.py).

    Batch, write, then acknowledge: offsets advance only after ClickHouse has the rows (or
    rejected them for their data, and they are dead-lettered). A processor flushes only the
    tables its batch wrote to (streams/sink/tracking.py): another table's trouble never
    holds it.
    Nothing is acknowledged before the flush that carries its batch's rows returned;
    meanwhile the next batch is already being processed, so the database round trip overlaps
    with decoding instead of stalling it (one flush in flight at a time keeps memory
    bounded). If the flush never succeeds (ClickHouse down and the worker stopped) nothing is
    acked: the records are read again after the restart and the idempotent tables absorb
    the repeat.
    """
    cfg = ctx.settings.streams
    if cfg.batching == "stock":
        _register_stock_agent(ctx, topic, name, handle)
        return
    inbox = ctx.app.inbox(topic, maxsize=2 * cfg.batch_max_rows)
    handover = ctx.app.handover
    ctx.processors[name] = handle

    async def flush_then_ack(records: list[Message], tables: set[str]) -> None:
        try:
            await ctx.flush(tables)
        except SinkClosed as stopped:  # shutting down: these records will be read again
            log.warning("%s: %s; %d records left unacknowledged", name, stopped, len(records))
            return
        ack = ctx.app.consumer.ack
        for record in records:
            ack(record)

    async def process() -> None:
        log.info("batch processor %s started on %s", name, inbox.topic)
        in_flight: asyncio.Task[None] | None = None
        try:
            while True:  # until the worker stops and cancels the task
                # Before the take, not between it and the handling: a batch taken is handled
                # with no await in between, so no revocation comes between (handover.py).
                # Table writes, alerts and signals wait in the producer's buffer; Faust's
                # streams wait for it before each record, this loop before each batch, so
                # a worker loading a backlog keeps about one batch of them in flight, not
                # the ~90,000 whose memory stayed with the process (issue 12).
                await drain_buffer(ctx.app.producer.buffer, cfg.batch_max_rows)
                batch = await inbox.take(cfg.batch_max_rows, cfg.batch_max_seconds)
                if not batch:
                    continue
                with handover.handling(), recording_tables() as tables:
                    await handle(batch)
                if in_flight is not None:
                    await in_flight
                in_flight = asyncio.ensure_future(flush_then_ack(batch, tables))
        finally:
            if in_flight is not None and not in_flight.done():
                await asyncio.shield(in_flight)

    process.__name__ = process.__qualname__ = name
    ctx.app.task(process)

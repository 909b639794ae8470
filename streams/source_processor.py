"""The shape shared by the payment and portal processors: decode, store raw, send signals.

Both keep no per-entity state (their read-API figures are exact by construction from the
deduplicated raw tables); they differ only in the signal they derive, so a new source of the
same kind is one `register_source(...)` call with its own signal function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from faust.types import Message

from cityops.contract import Envelope, TopicSpec
from cityops.db.tables import RAW_TABLES
from streams.context import Context, register_batch_processor
from streams.rates.signals import RateSignal, SignalBatch, encode_signal
from streams.sink.rows import raw_row

SignalFn = Callable[[Any], RateSignal | None]


async def ingest(
    ctx: Context, spec: TopicSpec, batch: Sequence[Message], signals: SignalBatch
) -> list[tuple[Message, Envelope]]:
    """Decode a batch of one source topic: dead-letter what does not decode, buffer the raw
    rows, note each source as seen; returns each event with its record for the domain
    logic (the record's partition is where state derived from the event belongs)."""
    table = RAW_TABLES[spec.base]
    occurred_ms = table.column_names.index("occurred_ms")
    models: list[tuple[Message, Envelope]] = []
    rows = []
    originals = []
    for record, model in await ctx.decode_batch(spec, batch):
        row = raw_row(model, record.partition, record.offset)[1]
        rows.append(row)
        originals.append(record.value)
        signals.saw(model.source, row[occurred_ms])
        models.append((record, model))
    ctx.metrics.events_in[spec.base] += len(models)
    ctx.sink.extend(table, rows, originals=originals, topic=spec.name(ctx.namespace))
    return models


async def send_signals(ctx: Context, signals: SignalBatch) -> None:
    for message in signals.messages():
        await ctx.send_signal(encode_signal(message))


def register_source(ctx: Context, spec: TopicSpec, signal: SignalFn) -> None:
    async def handle(batch: Sequence[Message]) -> None:
        signals = SignalBatch()
        for _, model in await ingest(ctx, spec, batch, signals):
            signals.add(signal(model))
        await send_signals(ctx, signals)

    assert spec.model is not None
    register_batch_processor(
        ctx, ctx.topic(spec), f"{ctx.settings.streams.app_id}.{spec.model.family}", handle
    )

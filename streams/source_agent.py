"""The shape shared by the payment and portal agents: decode, store raw, send signals.

Both keep no per-entity state (their read-API figures are exact by construction from the
deduplicated raw tables); they differ only in the signal they derive, so a new source of the
same kind is one `register_source(...)` call with its own signal function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from faust.types import EventT

from cityops.contract import Envelope, TopicSpec
from cityops.db.tables import RAW_TABLES
from streams.codec import decode
from streams.context import Context, consume_in_batches
from streams.rates.signals import SignalBatch
from streams.sink.rows import epoch_ms, raw_row

SignalFn = Callable[[Any], dict[str, Any] | None]


async def ingest(
    ctx: Context, spec: TopicSpec, batch: Sequence[EventT], signals: SignalBatch
) -> list[Envelope]:
    """Decode a batch of one source topic: dead-letter what does not decode, buffer the raw
    rows, note each source as seen; returns the events for the domain logic."""
    models: list[Envelope] = []
    rows = []
    for event in batch:
        model = decode(spec, event.value)
        if isinstance(model, str):
            await ctx.dead_letter(spec, event.value, model)
            continue
        ctx.metrics.events_in[spec.base] += 1
        rows.append(raw_row(model, event.message.partition, event.message.offset)[1])
        signals.saw(model.source, epoch_ms(model.occurred_at))
        models.append(model)
    ctx.sink.extend(RAW_TABLES[spec.base], rows)
    return models


async def send_signals(ctx: Context, signals: SignalBatch) -> None:
    for message in signals.messages():
        await ctx.signals_topic().send(key=b"s", value=message)


def register_source(ctx: Context, spec: TopicSpec, signal: SignalFn) -> None:
    async def handle(batch: Sequence[EventT]) -> None:
        signals = SignalBatch()
        for model in await ingest(ctx, spec, batch, signals):
            signals.add(signal(model))
        await send_signals(ctx, signals)

    async def agent(stream):  # type: ignore[no-untyped-def]
        await consume_in_batches(ctx, stream, handle)

    assert spec.model is not None
    ctx.app.agent(ctx.topic(spec), name=f"{ctx.settings.streams.app_id}.{spec.model.family}")(agent)

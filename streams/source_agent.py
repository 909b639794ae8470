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
from streams.sink.rows import raw_row

SignalFn = Callable[[Any], dict[str, Any] | None]


def register_source(ctx: Context, spec: TopicSpec, signal: SignalFn) -> None:
    table = RAW_TABLES[spec.base]

    async def handle(batch: Sequence[EventT]) -> None:
        rows = []
        signals = SignalBatch()
        for event in batch:
            model = decode(spec, event.value)
            if isinstance(model, str):
                await ctx.dead_letter(spec, event.value, model)
                continue
            assert isinstance(model, Envelope)
            ctx.metrics.events_in[spec.base] += 1
            rows.append(raw_row(model, event.message.partition, event.message.offset)[1])
            signals.saw(model.source, int(model.occurred_at.timestamp() * 1000))
            signals.add(signal(model))
        ctx.sink.extend(table, rows)
        for message in signals.messages():
            await ctx.signals_topic().send(key=b"s", value=message)

    async def agent(stream):  # type: ignore[no-untyped-def]
        await consume_in_batches(ctx, stream, handle)

    ctx.app.agent(ctx.topic(spec), name=f"{ctx.settings.streams.app_id}.{spec.model.family}")(agent)

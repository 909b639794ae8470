"""Alerts topic -> ClickHouse `alerts`: one writer for every alert, whoever raised it.

The topic is keyed by alert id (compacted in production), and the table keeps one row per
(alert_id, opened_at) at its latest version, so a re-sent alert is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence

from faust.types import EventT

from cityops.contract import ALERTS, AlertEvent
from cityops.db.tables import ALERTS as ALERTS_TABLE
from streams.codec import decode
from streams.context import Context, consume_in_batches
from streams.sink.rows import alert_row


def register(ctx: Context) -> None:
    async def handle(batch: Sequence[EventT]) -> None:
        rows = []
        for event in batch:
            model = decode(ALERTS, event.value)
            if isinstance(model, str):
                await ctx.dead_letter(ALERTS, event.value, model)
                continue
            assert isinstance(model, AlertEvent)
            rows.append(alert_row(model))
        ctx.sink.extend(ALERTS_TABLE, rows)

    async def agent(stream):  # type: ignore[no-untyped-def]
        await consume_in_batches(ctx, stream, handle)

    ctx.app.agent(ctx.topic(ALERTS), name=f"{ctx.settings.streams.app_id}.alerts")(agent)

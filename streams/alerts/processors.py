"""Alerts topic -> ClickHouse `alerts`: one writer for every alert, whoever raised it.

The topic is keyed by alert id (compacted in production), and the table keeps one row per
(alert_id, opened_at) at its latest version, so a re-sent alert is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence

from faust.types import Message

from cityops.contract import ALERTS, AlertEvent
from cityops.db.tables import ALERTS as ALERTS_TABLE
from streams.context import Context, register_batch_processor
from streams.sink.rows import alert_row


def register(ctx: Context) -> None:
    async def handle(batch: Sequence[Message]) -> None:
        rows, originals = [], []
        for record, model in await ctx.decode_batch(ALERTS, batch):
            assert isinstance(model, AlertEvent)
            rows.append(alert_row(model))
            originals.append(record.value)
        ctx.sink.extend(ALERTS_TABLE, rows, originals=originals, topic=ALERTS.name(ctx.namespace))

    # Batched like the source topics: a backfill of past days raises thousands of alerts.
    register_batch_processor(
        ctx, ctx.topic(ALERTS), f"{ctx.settings.streams.app_id}.alerts", handle
    )

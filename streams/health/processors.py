"""Dead letters into ClickHouse, consumer lag reports, and the worker's HTTP endpoints."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from faust.types import Message
from faust.web import Request, Response, View
from pydantic import ValidationError

from cityops.contract import DEADLETTER, SOURCE_TOPICS, DeadLetter
from cityops.db.tables import CONSUMER_LAG, DEADLETTERS, SINK_HEALTH
from cityops.kafka import make_admin, make_consumer
from cityops.privacy import redact_document, safe_reason
from streams.context import Context, register_batch_processor
from streams.metrics import render_sink
from streams.sink.clickhouse import SinkClosed
from streams.sink.rows import deadletter_row, sink_health_rows

log = logging.getLogger("cityops.streams.health")


def register(ctx: Context) -> None:
    app = ctx.app
    worker = f"{os.uname().nodename}:{os.getpid()}"

    async def handle(batch: Sequence[Message]) -> None:
        rows = []
        for message in batch:
            try:
                record = DeadLetter.model_validate_json(message.value or b"")
            except ValidationError as exc:
                # A dead letter that is itself malformed is kept as one, never dropped; but
                # redacted whole, as nothing says its writer applied the privacy rules.
                first = exc.errors(include_url=False, include_input=False)[0]
                where = ".".join(str(p) for p in first["loc"]) or "record"
                original = redact_document(message.value or b"", (), ctx.settings.hash_key)
                record = DeadLetter(
                    source="unknown",
                    reason=safe_reason(
                        f"malformed dead letter: {where}: {first['msg']}", ctx.settings.hash_key
                    ),
                    original_b64="",
                    original_text=original.decode(errors="replace"),
                    at=datetime.now(UTC),
                    stage="worker",
                )
            rows.append(deadletter_row(record))
        ctx.sink.extend(DEADLETTERS, rows)

    register_batch_processor(
        ctx, ctx.topic(DEADLETTER), f"{ctx.settings.streams.app_id}.deadletters", handle
    )

    stuck_after = ctx.settings.streams.sink_stuck_seconds

    @app.timer(ctx.settings.streams.lag_report_seconds)
    async def report_lag() -> None:
        """Consumer lag and the sink's state, sampled into ClickHouse (v_pipeline_health)."""
        samples = sink_health_rows(worker, ctx.sink.metrics(), stuck_after)
        ctx.sink.extend(SINK_HEALTH, samples)
        loop = asyncio.get_running_loop()
        try:
            rows = await loop.run_in_executor(None, _lag_rows, ctx, worker)
        except Exception as exc:  # lag is best-effort; a broker hiccup must not stop work
            log.warning("could not read consumer lag: %s", exc)
            rows = []
        for row in rows:
            ctx.metrics.lag[(row[1], row[2])] = row[3]
        ctx.sink.extend(CONSUMER_LAG, rows)
        # No processor owns these tables, so the timer writes its own rows (processors flush
        # only the tables of their batch, streams/sink/tracking.py).
        try:
            await ctx.flush({CONSUMER_LAG.name, SINK_HEALTH.name})
        except SinkClosed:  # shutting down; samples are not worth keeping
            return

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            """503 while the sink is stuck: rows wait and nothing was written for too long."""
            stuck = ctx.sink.metrics().stuck(stuck_after)
            body = {"status": "stuck" if stuck else "ok", "app": app.conf.id, "worker": worker}
            if stuck:
                body["stuck_tables"] = stuck
            return self.json(body, status=503 if stuck else 200)

    @app.page("/metrics")
    class MetricsPage(View):
        async def get(self, request: Request) -> Response:
            text = ctx.metrics.render() + render_sink(ctx.sink.metrics(), stuck_after)
            return self.text(text, content_type="text/plain; version=0.0.4")

    _ = (report_lag, Health, MetricsPage)


def _lag_rows(ctx: Context, worker: str) -> list[tuple[Any, ...]]:
    """Committed offset vs end offset of the source topics for this app's consumer group."""
    group = ctx.app.conf.id
    admin = make_admin(ctx.settings.kafka)
    consumer = make_consumer(ctx.settings.kafka)
    try:
        committed = admin.list_group_offsets(group).get(group, {})
        names = {spec.name(ctx.namespace) for spec in SOURCE_TOPICS}
        mine = {tp: meta.offset for tp, meta in committed.items() if tp.topic in names}
        ends = consumer.end_offsets(list(mine)) if mine else {}
    finally:
        admin.close()
        consumer.close()
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    return [
        (worker, tp.topic, tp.partition, max(ends.get(tp, 0) - off, 0), off, ends.get(tp, 0), now)
        for tp, off in mine.items()
    ]

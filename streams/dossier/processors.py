"""Dossier processor: lifecycle state per dossier, raw rows, state rows and deadline alerts.

The processor stays thin: `merge` (state.py) and `evaluate` (deadlines.py) hold the rules.
A timer wakes dossiers whose deadline passes with no new event, through a heap of the next
moment each open dossier's alerts can change; the heap is rebuilt from the table after a
rebalance, so a restarted worker still fires overdue alerts within seconds of the deadline.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from faust.types import Message

from cityops.contract import DOSSIER, DossierEvent
from cityops.db.tables import DOSSIER_STATE
from streams.alerts.build import build_alert
from streams.context import Context, register_batch_processor
from streams.dossier.deadlines import AlertChange, evaluate, next_check_ms
from streams.dossier.rows import state_row
from streams.dossier.state import DossierState, from_ms, merge, to_ms
from streams.rates.signals import SignalBatch, on_time_signal
from streams.source_processor import ingest, send_signals
from streams.state_table import PartitionedTable, owned_partitions

log = logging.getLogger("cityops.streams.dossier")

TABLE_NAME = "dossier-state"


def register(ctx: Context) -> None:
    app = ctx.app
    cfg = ctx.settings.streams
    table = PartitionedTable(
        app, TABLE_NAME, DOSSIER.partitions, "Lifecycle state of every dossier this worker owns."
    )
    heap: list[tuple[int, str]] = []
    rebuild = {"needed": True}

    def schedule(state: DossierState) -> None:
        moment = next_check_ms(state, cfg.due_soon_working_days)
        if moment is not None:
            heapq.heappush(heap, (moment, state.dossier_id))

    async def emit(state: DossierState, changes: list[AlertChange]) -> None:
        detail = f"{state.procedure_code} @ {state.agency_code}, hạn/due {from_ms(state.due_at)}"
        for change in changes:
            alert = build_alert(
                kind=change.kind,
                state=change.state,
                severity=change.severity,
                subject=state.dossier_id,
                opened_at=from_ms(change.opened_at_ms) or datetime.now(UTC),
                resolved_at=from_ms(change.resolved_at_ms),
                detail=detail,
                agency_code=state.agency_code,
                source=ctx.source,
            )
            await ctx.publish_alert(alert)

    async def handle(batch: Sequence[Message]) -> None:
        now = datetime.now(UTC)
        touched: dict[str, DossierState] = {}
        partitions: dict[str, int] = {}
        signals = SignalBatch()
        for record, model in await ingest(ctx, DOSSIER, batch, signals):
            assert isinstance(model, DossierEvent)
            partitions[model.dossier_id] = record.partition
            state = touched.get(model.dossier_id) or _load(table, model.dossier_id)
            was_resolved = state.first_resolved_id
            # A repeat changes nothing, but its state row is written again all the same: after
            # a crash the table may be recovered from a changelog that is ahead of what
            # reached ClickHouse, and the replayed event is then the only trigger left.
            touched[model.dossier_id] = state
            if merge(state, model) and state.first_resolved_id != was_resolved:
                signals.add(on_time_signal(state))
        state_rows = []
        for dossier_id, state in touched.items():
            await emit(state, evaluate(state, now, cfg.due_soon_working_days))
            table.put(dossier_id, state.to_dict(), partitions[dossier_id])
            state_rows.append(state_row(state, now))
            schedule(state)
        ctx.sink.extend(DOSSIER_STATE, state_rows)
        await send_signals(ctx, signals)

    register_batch_processor(
        ctx, ctx.topic(DOSSIER), f"{ctx.settings.streams.app_id}.dossier", handle
    )

    @table.table.on_recover
    async def _on_recovered() -> None:
        # Runs once the changelog is read back, before the source partitions resume: keys
        # of partitions given to another worker go, and the heap is rebuilt from the rest.
        owned = owned_partitions(app, ctx.topic(DOSSIER))
        dropped = table.keep_partitions(owned)
        if dropped:
            log.info("forgot %d dossiers of partitions now owned by another worker", dropped)
        rebuild["needed"] = True

    @app.timer(cfg.deadline_check_seconds)
    async def deadlines() -> None:
        if rebuild["needed"]:
            heap.clear()
            for _key, value in table.items():
                if value:
                    schedule(DossierState.from_dict(value))
            rebuild["needed"] = False
            log.info("deadline heap rebuilt: %d open dossiers scheduled", len(heap))
        now = datetime.now(UTC)
        now_ms = to_ms(now)
        while heap and heap[0][0] <= now_ms:
            _, dossier_id = heapq.heappop(heap)
            raw = table.get(dossier_id)
            if not raw:
                continue
            state = DossierState.from_dict(raw)
            changes = evaluate(state, now, cfg.due_soon_working_days)
            if changes:
                await emit(state, changes)
                table.update(dossier_id, state.to_dict())
            schedule(state)

    @app.timer(600.0)
    async def prune() -> None:
        before = datetime.now(UTC) - timedelta(hours=cfg.closed_retention_hours)
        await _prune_closed(table, before)

    _ = (deadlines, prune, _on_recovered)


def _load(table: PartitionedTable, dossier_id: str) -> DossierState:
    raw = table.get(dossier_id)
    return DossierState.from_dict(raw) if raw else DossierState(dossier_id=dossier_id)


async def _prune_closed(table: PartitionedTable, before: datetime) -> None:
    """Forget dossiers closed long ago: their ClickHouse row is final, memory is not free."""
    cutoff = to_ms(before)
    doomed = [
        key
        for key, value in table.items()
        if value
        and value.get("closed_at") is not None
        and value["closed_at"] < cutoff
        and not value.get("firing")
    ]
    for key in doomed[:10_000]:
        table.delete(key)


__all__ = ["TABLE_NAME", "register"]

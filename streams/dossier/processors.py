"""Dossier processor: lifecycle state per dossier, raw rows, state rows and deadline alerts.

The processor stays thin: `merge` (state.py) and `evaluate` (deadlines.py) hold the rules.
A timer wakes dossiers whose deadline passes with no new event, through a heap of the next
moment each open dossier's alerts can change (deadline_heap.py); the heap is rebuilt from
the table after each rebalance (before the partitions resume), so a worker that takes over a
partition fires its overdue alerts within seconds of the deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import Message

from cityops.contract import DOSSIER, AlertEvent, DossierEvent
from cityops.contract.enums import AlertKind, AlertState
from cityops.db.tables import (
    BUSINESS_REGISTRATION_DAILY,
    DOSSIER_KPI_DAILY,
    DOSSIER_KPI_MINUTE,
    DOSSIER_OPEN,
    DOSSIER_STATE,
)
from streams.alerts.build import build_alert
from streams.context import Context
from streams.dossier.business import business_cell, business_rows
from streams.dossier.deadline_heap import DeadlineHeap
from streams.dossier.deadlines import SEVERITY, AlertChange, evaluate, next_check_ms
from streams.dossier.kpis import KpiFacts, KpiRow, changed_rows, new_epoch
from streams.dossier.rows import state_row
from streams.dossier.state import DossierState, PublishedAlert, from_ms, to_ms
from streams.dossier.state import merge as merge_event
from streams.processor import Processor, next_version, register_processor
from streams.rates.signals import SignalBatch, on_time_signal
from streams.source_processor import ingest, send_signals
from streams.state_table import PartitionedTable

log = logging.getLogger("cityops.streams.dossier")

TABLE_NAME = "dossier-state"
#: How often closed dossiers are forgotten, and how many at most per pass.
PRUNE_EVERY_SECONDS = 600.0
PRUNE_MAX_KEYS = 10_000
#: After a rebalance, alert changes this recent are published again (see on_rebalance).
REPUBLISH_SECONDS = 300.0


class DossierProcessor(Processor):
    name = "dossier"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.cfg = ctx.settings.streams
        self.timer_seconds = self.cfg.deadline_check_seconds
        self.states = self.table(
            TABLE_NAME,
            DOSSIER.partition_count(ctx.settings.kafka.partitions),
            "Lifecycle state of every dossier held.",
        )
        self.heap = DeadlineHeap()
        self.catching_up = False
        self._pruned_at = time.monotonic()
        self.kpi_epoch = new_epoch()

    @property
    def topic(self) -> faust.TopicT:
        return self.ctx.topic(DOSSIER)

    @property
    def tables(self) -> tuple[PartitionedTable, ...]:
        return (self.states,)

    def load(self, dossier_id: str) -> DossierState:
        raw = self.states.get(dossier_id)
        return DossierState.from_dict(raw) if raw else DossierState(dossier_id=dossier_id)

    async def handle(self, batch: Sequence[Message]) -> None:
        now = datetime.now(UTC)
        await self.track_backlog(batch, now)
        touched: dict[str, DossierState] = {}
        partitions: dict[str, int] = {}
        before: dict[str, KpiFacts] = {}
        was_open: dict[str, bool] = {}
        was_listed: dict[str, bool] = {}
        signals = SignalBatch()
        for record, model in await ingest(self.ctx, DOSSIER, batch, signals):
            assert isinstance(model, DossierEvent)
            state = touched.get(model.dossier_id) or self.load(model.dossier_id)
            if model.dossier_id not in before:
                before[model.dossier_id] = KpiFacts.of(state)
                was_open[model.dossier_id] = state.is_open
                was_listed[model.dossier_id] = business_cell(state) is not None
            partitions[model.dossier_id] = record.partition
            was_resolved = state.first_resolved_id
            # A repeat changes nothing, but its state row is written again all the same: after
            # a crash the table may be recovered from a changelog that is ahead of what
            # reached ClickHouse, and the replayed event is then the only trigger left.
            touched[model.dossier_id] = state
            if merge_event(state, model) and state.first_resolved_id != was_resolved:
                signals.add(on_time_signal(state))
        state_rows = []
        open_rows = []
        kpis: list[KpiRow] = []
        business: list[tuple[Any, ...]] = []
        alerts: list[AlertEvent] = []
        for dossier_id, state in touched.items():
            changes = evaluate(state, now, self.cfg.due_soon_working_days)
            alerts += self.alerts_for(state, changes, to_ms(now))
            # Rows first: what they wrote is recorded in the state stored next.
            kpis += changed_rows(state, before[dossier_id], self.kpi_epoch)
            business += business_rows(state, was_listed[dossier_id])
            writes_open = state.is_open or state.open_written or was_open[dossier_id]
            state.open_written = writes_open
            self.states.put(dossier_id, state.to_dict(), partitions[dossier_id])
            state_rows.append(state_row(state, now))
            if writes_open:
                open_rows.append(state_rows[-1])
            self.schedule(state)
        # Every state is written before the first await: the timer, running between two
        # awaits, then never reads a state this batch has already changed.
        await self.publish(alerts)
        self.ctx.sink.extend(DOSSIER_STATE, state_rows)
        self.ctx.sink.extend(DOSSIER_OPEN, open_rows)
        self.write_kpis(kpis)
        self.ctx.sink.extend(BUSINESS_REGISTRATION_DAILY, business)
        await send_signals(self.ctx, signals)

    def write_kpis(self, rows: list[KpiRow]) -> None:
        """Each dossier's row per cell, into its grain's table."""
        minute = [r.as_tuple() for r in rows if r.cell.grain == "minute"]
        self.ctx.sink.extend(DOSSIER_KPI_MINUTE, minute)
        self.ctx.sink.extend(
            DOSSIER_KPI_DAILY, [r.as_tuple() for r in rows if r.cell.grain == "day"]
        )

    async def on_timer(self) -> None:
        """Fire and resolve what the clock changed; now and then forget long-closed dossiers."""
        now = datetime.now(UTC)
        now_ms = to_ms(now)
        while (dossier_id := self.heap.pop_due(now_ms)) is not None:
            raw = self.states.get(dossier_id)
            if not raw:
                continue
            state = DossierState.from_dict(raw)
            changes = evaluate(state, now, self.cfg.due_soon_working_days)
            self.schedule(state)
            if changes:
                alerts = self.alerts_for(state, changes, now_ms)
                self.states.update(dossier_id, state.to_dict())
                await self.publish(alerts)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            await self.prune_closed(now - timedelta(hours=self.cfg.closed_retention_hours))

    async def on_rebalance(self, partitions: set[int]) -> None:
        """Keep what this worker owns, schedule its deadlines, and publish again the alert
        changes of the last minutes: the changelog can hold a change whose alert a crash
        lost (the state is written first), and an identical row is harmless."""
        await super().on_rebalance(partitions)
        # States this run wrote may have been another run's since: write their rows again.
        self.kpi_epoch = new_epoch()
        self.heap.clear()
        since_ms = to_ms(datetime.now(UTC)) - int(REPUBLISH_SECONDS * 1000)
        again: list[AlertEvent] = []
        async for _key, value in self.states.scan():
            state = DossierState.from_dict(value)
            self.schedule(state)
            again += [
                self.alert_event(state, AlertKind(kind), published)
                for kind, published in state.published.items()
                if published.version >= since_ms
            ]
        log.info(
            "deadline heap rebuilt: %d open dossiers scheduled, %d recent alerts published again",
            len(self.heap),
            len(again),
        )
        await self.publish(again)
        await self.on_timer()

    async def track_backlog(self, batch: Sequence[Message], now: datetime) -> None:
        """Catching up while the oldest record of a batch is older than the threshold; once
        caught up, what is still firing is published again without the backlog mark."""
        stamps = [r.timestamp for r in batch if getattr(r, "timestamp", None)]
        lag = now.timestamp() - min(stamps) if stamps else 0.0
        was = self.catching_up
        self.catching_up = lag > self.cfg.backlog_lag_seconds
        if was and not self.catching_up:
            await self.publish(await self.release_backlog(to_ms(now)))

    async def release_backlog(self, now_ms: int) -> list[AlertEvent]:
        alerts = []
        async for key, value in self.states.scan():
            state = DossierState.from_dict(value)
            held = [k for k, p in state.published.items() if p.firing and p.backlog]
            if not held:
                continue
            for kind in held:
                previous = state.published[kind]
                state.published[kind] = PublishedAlert(
                    previous.opened_ms, None, next_version(previous.version, now_ms)
                )
                alerts.append(self.alert_event(state, AlertKind(kind), state.published[kind]))
            self.states.update(key, state.to_dict())
        log.info("caught up: %d alerts raised during the backlog now page", len(alerts))
        return alerts

    def schedule(self, state: DossierState) -> None:
        moment = next_check_ms(state, self.cfg.due_soon_working_days)
        if moment is not None:
            self.heap.push(moment, state.dossier_id)

    def alerts_for(
        self, state: DossierState, changes: list[AlertChange], now_ms: int
    ) -> list[AlertEvent]:
        """The alert events of `changes`, each versioned above the kind's last one; the
        state records them (call before writing it)."""
        alerts = []
        for change in changes:
            previous = state.published.get(change.kind.value)
            published = PublishedAlert(
                opened_ms=change.opened_at_ms,
                resolved_ms=change.resolved_at_ms if change.state == AlertState.RESOLVED else None,
                version=next_version(previous.version if previous else 0, now_ms),
                backlog=self.catching_up,
            )
            state.published[change.kind.value] = published
            alerts.append(self.alert_event(state, change.kind, published))
        return alerts

    def alert_event(
        self, state: DossierState, kind: AlertKind, alert: PublishedAlert
    ) -> AlertEvent:
        detail = f"{state.procedure_code} @ {state.agency_code}, hạn/due {from_ms(state.due_at)}"
        return build_alert(
            kind=kind,
            state=AlertState.FIRING if alert.firing else AlertState.RESOLVED,
            severity=SEVERITY[kind],
            subject=state.dossier_id,
            opened_at=from_ms(alert.opened_ms) or datetime.now(UTC),
            resolved_at=from_ms(alert.resolved_ms),
            detail=detail,
            agency_code=state.agency_code,
            source=self.ctx.source,
            version=alert.version,
            backlog=alert.backlog,
        )

    async def publish(self, alerts: list[AlertEvent]) -> None:
        for alert in alerts:
            await self.ctx.publish_alert(alert)

    async def prune_closed(self, before: datetime) -> int:
        """Forget dossiers closed long ago: their ClickHouse row is final, memory is not free."""
        cutoff = to_ms(before)
        doomed = [key async for key, value in self.states.scan() if _prunable(value, cutoff)]
        pruned = 0
        for key in doomed[:PRUNE_MAX_KEYS]:
            # Checked again: the scan let batches run, and one may have changed the dossier.
            if _prunable(self.states.get(key), cutoff):
                self.states.delete(key)
                pruned += 1
        return pruned


def _prunable(value: Any, cutoff_ms: int) -> bool:
    """Closed before `cutoff_ms` and firing nothing."""
    return (
        value is not None
        and value.get("closed_at") is not None
        and value["closed_at"] < cutoff_ms
        and not value.get("firing")
    )


def register(ctx: Context) -> None:
    register_processor(ctx, DossierProcessor(ctx))


__all__ = ["TABLE_NAME", "DossierProcessor", "register"]

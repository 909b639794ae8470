"""The rates processor: rolling windows per (rule, subject) and the silence watch per source.

It owns one partition (the signals topic has one), so each window sees the whole province.
Windows live in a changelogged table; an alert's `opened_at` is the minute the rate crossed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import Message

from cityops.contract import AlertEvent
from cityops.contract.enums import AlertKind, AlertState, Severity
from cityops.reference import load_reference
from cityops.timeutil import is_working_hours
from streams.alerts.build import build_alert
from streams.context import Context
from streams.dossier.state import from_ms
from streams.processor import Processor, next_version, register_processor
from streams.rates.rules import RateRule, describe
from streams.rates.signals import MINUTE_MS, RateSignal, SeenSignal, decode_signal
from streams.rates.windows import RollingRate
from streams.state_table import PartitionedTable

log = logging.getLogger("cityops.streams.rates")


@dataclass
class RateWindow:
    """A rule's rolling window for one subject, and whether its alert is open."""

    rate: RollingRate = field(default_factory=RollingRate)
    #: Minute (epoch ms) the open alert's rate crossed; 0 when none is open.
    opened_ms: int = 0
    agency: str = ""
    #: Version of the last alert change published for this window (see next_version).
    version: int = 0
    #: Whether that change was about the past (recorded, not paged).
    backlog: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate.to_dict(),
            "opened_ms": self.opened_ms,
            "agency": self.agency,
            "version": self.version,
            "backlog": self.backlog,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateWindow:
        rate = RollingRate.from_dict(data["rate"])
        return cls(rate, data["opened_ms"], data["agency"], data["version"], data["backlog"])


@dataclass
class SourceWatch:
    """When a source last spoke, by its events and by the worker's clock."""

    newest_event_ms: int = 0
    heard_ms: int = 0
    #: When the open `source_silent` alert started; 0 when none is open.
    silent_since_ms: int = 0
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "newest_event_ms": self.newest_event_ms,
            "heard_ms": self.heard_ms,
            "silent_since_ms": self.silent_since_ms,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceWatch:
        fields = ("newest_event_ms", "heard_ms", "silent_since_ms", "version")
        return cls(*(data[name] for name in fields))


@dataclass(frozen=True)
class RateRules:
    """The rule of each kind; on-time targets are per agency (reference data)."""

    payment_failure: RateRule
    satisfaction: RateRule
    on_time: dict[str, RateRule]
    default_on_time: RateRule

    def rule_for(self, kind: str, subject: str) -> RateRule:
        if kind == AlertKind.PAYMENT_FAILURE_SPIKE.value:
            return self.payment_failure
        if kind == AlertKind.SATISFACTION_LOW.value:
            return self.satisfaction
        return self.on_time.get(subject, self.default_on_time)


def rules_for(ctx: Context) -> RateRules:
    cfg = ctx.settings.streams
    reference = load_reference(ctx.settings.reference_dir)

    def on_time(target: float) -> RateRule:
        return RateRule(
            AlertKind.ON_TIME_RATE_LOW,
            Severity.WARNING,
            round(1 - target, 6),
            cfg.on_time_min_resolved,
        )

    return RateRules(
        payment_failure=RateRule(
            AlertKind.PAYMENT_FAILURE_SPIKE,
            Severity.CRITICAL,
            cfg.payment_failure_rate,
            cfg.payment_min_attempts,
        ),
        satisfaction=RateRule(
            AlertKind.SATISFACTION_LOW,
            Severity.WARNING,
            round(1 - cfg.satisfaction_floor, 6),
            cfg.satisfaction_min_ratings,
        ),
        on_time={code: on_time(a.on_time_target) for code, a in reference.agencies.items()},
        default_on_time=on_time(cfg.default_on_time_target),
    )


class RatesProcessor(Processor):
    name = "rates"
    #: How often sources are checked for silence.
    timer_seconds = 30.0

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.cfg = ctx.settings.streams
        self.rules = rules_for(ctx)
        # One partition, like the signals topic they are derived from (see state_table.py).
        self.windows = self.table(
            "rate-windows", 1, "Rolling minute buckets per alert rule and subject."
        )
        self.sources = self.table(
            "source-seen", 1, "Last event time per source, for source_silent."
        )

    @property
    def topic(self) -> faust.TopicT:
        return self.ctx.signals_topic()

    @property
    def tables(self) -> tuple[PartitionedTable, ...]:
        return (self.windows, self.sources)

    async def handle(self, batch: Sequence[Message]) -> None:
        touched: dict[str, tuple[RateWindow, int]] = {}
        for record in batch:
            signal = decode_signal(record.value)
            if isinstance(signal, SeenSignal):
                await self.heard(signal, record.partition)
            elif isinstance(signal, RateSignal):
                key = f"{signal.kind}|{signal.subject}"
                window = touched[key][0] if key in touched else self.window(key)
                window.rate.add(signal.minute, signal.hits, signal.total)
                window.rate.prune(self.cfg.rate_window_minutes * 2)
                window.agency = signal.agency or window.agency
                touched[key] = (window, record.partition)
            else:
                log.warning("skipped a malformed rate signal: %r", (record.value or b"")[:200])
        for key, (window, partition) in touched.items():
            await self.decide(key, window)
            self.windows.put(key, window.to_dict(), partition)

    def window(self, key: str) -> RateWindow:
        raw = self.windows.get(key)
        return RateWindow.from_dict(raw) if raw else RateWindow()

    async def decide(self, key: str, window: RateWindow) -> None:
        kind, subject = key.split("|", 1)
        rule = self.rules.rule_for(kind, subject)
        hits, total = window.rate.totals(self.cfg.rate_window_minutes)
        rate = None if total == 0 else hits / total
        decision = rule.decide(bool(window.opened_ms), rate, total)
        minute_ms = window.rate.newest * MINUTE_MS
        # A window whose newest minute is long past describes the past (a backfill, a
        # worker catching up): its changes are recorded, not paged. An alert raised so and
        # still firing once live minutes arrive is published again, now to page.
        past = minute_ms < _now_ms() - int(self.cfg.backlog_lag_seconds * 1000)
        if decision is None and not (window.opened_ms and window.backlog and not past):
            return
        firing = bool(window.opened_ms) if decision is None else decision
        opened = minute_ms if decision else window.opened_ms or minute_ms
        window.opened_ms = opened if firing else 0
        window.backlog = past
        window.version = next_version(window.version, _now_ms())
        is_payment = rule.kind == AlertKind.PAYMENT_FAILURE_SPIKE
        alert = build_alert(
            kind=rule.kind,
            state=AlertState.FIRING if firing else AlertState.RESOLVED,
            severity=rule.severity,
            subject=subject,
            opened_at=from_ms(opened) or datetime.now(UTC),
            resolved_at=None if firing else from_ms(max(minute_ms, opened)),
            detail=describe(rate, total, rule.threshold),
            agency_code=window.agency or (None if is_payment else subject),
            source=self.ctx.source,
            version=window.version,
            backlog=past,
        )
        await self.ctx.publish_alert(alert)

    async def heard(self, signal: SeenSignal, partition: int) -> None:
        raw = self.sources.get(signal.source)
        watch = SourceWatch.from_dict(raw) if raw else SourceWatch()
        watch.newest_event_ms = max(signal.occurred_ms, watch.newest_event_ms)
        watch.heard_ms = _now_ms()
        alert = None
        if watch.silent_since_ms:
            alert = self.silent_alert(signal.source, watch, from_ms(watch.heard_ms))
            watch.silent_since_ms = 0
        self.sources.put(signal.source, watch.to_dict(), partition)
        if alert is not None:
            await self.ctx.publish_alert(alert)

    async def on_timer(self) -> None:
        """Raise `source_silent` for sources quiet too long in working hours."""
        now = datetime.now(UTC)
        limit_ms = int(self.cfg.source_silent_minutes * MINUTE_MS)
        now_ms = int(now.timestamp() * 1000)
        for source, raw in list(self.sources.items()):
            watch = SourceWatch.from_dict(raw)
            quiet = now_ms - watch.heard_ms > limit_ms
            if quiet and not watch.silent_since_ms and is_working_hours(now):
                watch.silent_since_ms = watch.heard_ms + limit_ms
                alert = self.silent_alert(source, watch, None)
                self.sources.update(source, watch.to_dict())
                await self.ctx.publish_alert(alert)

    def silent_alert(
        self, source: str, watch: SourceWatch, resolved: datetime | None
    ) -> AlertEvent:
        minutes = self.cfg.source_silent_minutes
        watch.version = next_version(watch.version, _now_ms())
        alert = build_alert(
            kind=AlertKind.SOURCE_SILENT,
            state=AlertState.FIRING if resolved is None else AlertState.RESOLVED,
            severity=Severity.CRITICAL,
            subject=source,
            opened_at=from_ms(watch.silent_since_ms) or datetime.now(UTC),
            resolved_at=resolved,
            detail=f"không có sự kiện trong {minutes:g} phút / nothing for {minutes:g} min",
            agency_code=None,
            source=self.ctx.source,
            version=watch.version,
        )
        return alert


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def register(ctx: Context) -> None:
    register_processor(ctx, RatesProcessor(ctx))

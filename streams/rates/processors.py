"""The rates processor: rolling windows per (rule, subject) and the silence watch per source.

It owns one partition (the signals topic has one), so each window sees the whole province.
Windows live in a changelogged table; an alert's `opened_at` is the minute the rate crossed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from faust.types import Message

from cityops.contract.enums import AlertKind, AlertState, Severity
from cityops.reference import load_reference
from cityops.timeutil import is_working_hours
from streams.alerts.build import build_alert
from streams.context import Context, register_batch_processor
from streams.dossier.state import from_ms
from streams.rates.rules import RateRule, describe
from streams.rates.signals import MINUTE_MS, decode_signal
from streams.rates.windows import RollingRate
from streams.state_table import PartitionedTable

log = logging.getLogger("cityops.streams.rates")


def rules_for(ctx: Context) -> dict[str, RateRule | dict[str, RateRule]]:
    cfg = ctx.settings.streams
    reference = load_reference(ctx.settings.reference_dir)
    on_time = {
        code: RateRule(
            AlertKind.ON_TIME_RATE_LOW,
            Severity.WARNING,
            round(1 - agency.on_time_target, 6),
            cfg.on_time_min_resolved,
        )
        for code, agency in reference.agencies.items()
    }
    return {
        AlertKind.PAYMENT_FAILURE_SPIKE.value: RateRule(
            AlertKind.PAYMENT_FAILURE_SPIKE,
            Severity.CRITICAL,
            cfg.payment_failure_rate,
            cfg.payment_min_attempts,
        ),
        AlertKind.SATISFACTION_LOW.value: RateRule(
            AlertKind.SATISFACTION_LOW,
            Severity.WARNING,
            round(1 - cfg.satisfaction_floor, 6),
            cfg.satisfaction_min_ratings,
        ),
        AlertKind.ON_TIME_RATE_LOW.value: on_time,
        "default_on_time": RateRule(
            AlertKind.ON_TIME_RATE_LOW,
            Severity.WARNING,
            round(1 - cfg.default_on_time_target, 6),
            cfg.on_time_min_resolved,
        ),
    }


def register(ctx: Context) -> None:
    app = ctx.app
    cfg = ctx.settings.streams
    rules = rules_for(ctx)
    # One partition, like the signals topic they are derived from (see state_table.py).
    windows = PartitionedTable(
        app, "rate-windows", 1, "Rolling minute buckets per alert rule and subject."
    )
    seen = PartitionedTable(app, "source-seen", 1, "Last event time per source, for source_silent.")

    def rule_for(kind: str, subject: str) -> RateRule:
        rule = rules[kind]
        if isinstance(rule, dict):
            found = rule.get(subject)
            default = rules["default_on_time"]
            assert isinstance(default, RateRule)
            return found or default
        return rule

    async def evaluate_window(key: str, entry: dict[str, Any]) -> None:
        kind, subject = key.split("|", 1)
        rule = rule_for(kind, subject)
        window = RollingRate.from_dict(entry["w"])
        hits, total = window.totals(cfg.rate_window_minutes)
        rate = None if total == 0 else hits / total
        decision = rule.decide(bool(entry.get("open")), rate, total)
        if decision is None:
            return
        minute_ms = window.newest * MINUTE_MS
        if decision:
            entry["open"] = minute_ms
        opened = entry["open"] if entry.get("open") else minute_ms
        alert = build_alert(
            kind=rule.kind,
            state=AlertState.FIRING if decision else AlertState.RESOLVED,
            severity=rule.severity,
            subject=subject,
            opened_at=from_ms(opened) or datetime.now(UTC),
            resolved_at=None if decision else from_ms(minute_ms),
            detail=describe(rate, total, rule.threshold),
            agency_code=entry.get("a") or (subject if kind != "payment_failure_spike" else None),
            source=ctx.source,
        )
        if not decision:
            entry["open"] = 0
        await ctx.publish_alert(alert)

    async def handle(batch: Sequence[Message]) -> None:
        touched: dict[str, dict[str, Any]] = {}
        partitions: dict[str, int] = {}
        for record in batch:
            signal = decode_signal(record.value)
            if signal is None:
                log.warning("skipped a malformed rate signal: %r", record.value[:200])
                continue
            if signal["k"] == AlertKind.SOURCE_SILENT.value:
                await _seen(seen, signal, ctx, record.partition)
                continue
            key = f"{signal['k']}|{signal['s']}"
            entry = touched.get(key) or windows.get(key) or {"w": RollingRate().to_dict()}
            window = RollingRate.from_dict(entry["w"])
            window.add(int(signal["m"]), int(signal["h"]), int(signal.get("n", 1)))
            window.prune(cfg.rate_window_minutes * 2)
            entry["w"] = window.to_dict()
            if signal.get("a"):
                entry["a"] = signal["a"]
            touched[key] = entry
            partitions[key] = record.partition
        for key, entry in touched.items():
            await evaluate_window(key, entry)
            windows.put(key, entry, partitions[key])

    # Batched like the source topics: a backfill sends a signal per (rule, subject, minute).
    register_batch_processor(ctx, ctx.signals_topic(), f"{cfg.app_id}.rates", handle)

    @app.timer(30.0)
    async def silence() -> None:
        now = datetime.now(UTC)
        limit_ms = int(cfg.source_silent_minutes * MINUTE_MS)
        now_ms = int(now.timestamp() * 1000)
        for source, entry in list(seen.items()):
            quiet = now_ms - entry["w"] > limit_ms
            firing = bool(entry.get("open"))
            if quiet and not firing and is_working_hours(now):
                entry["open"] = entry["w"] + limit_ms
                await _silent_alert(ctx, source, entry, AlertState.FIRING, None)
                seen.update(source, entry)

    _ = silence


async def _seen(
    seen: PartitionedTable, signal: dict[str, Any], ctx: Context, partition: int
) -> None:
    source = signal["s"]
    entry = seen.get(source) or {}
    entry["t"] = max(int(signal["t"]), entry.get("t", 0))
    entry["w"] = int(datetime.now(UTC).timestamp() * 1000)
    if entry.get("open"):
        await _silent_alert(ctx, source, entry, AlertState.RESOLVED, from_ms(entry["w"]))
        entry["open"] = 0
    seen.put(source, entry, partition)


async def _silent_alert(
    ctx: Context,
    source: str,
    entry: dict[str, Any],
    state: AlertState,
    resolved_at: datetime | None,
) -> None:
    minutes = ctx.settings.streams.source_silent_minutes
    alert = build_alert(
        kind=AlertKind.SOURCE_SILENT,
        state=state,
        severity=Severity.CRITICAL,
        subject=source,
        opened_at=from_ms(entry["open"]) or datetime.now(UTC),
        resolved_at=resolved_at,
        detail=f"không có sự kiện trong {minutes:g} phút / nothing for {minutes:g} min",
        agency_code=None,
        source=ctx.source,
    )
    await ctx.publish_alert(alert)

"""Fixtures of the stream processor tests: the worker's app built as the worker builds it
(`create_app`), never started. The sink records the rows it is given, and the side outputs
(alerts, dead letters, rate signals) are recorded instead of produced. Table changelog
records go the production way into the (never started) producer's buffer, where tests read
their key and partition.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from cityops.contract import AlertEvent
from cityops.settings import KafkaSettings, Settings, StreamsSettings
from streams.app import create_app
from streams.context import Context
from streams.sink import RejectedRow


@dataclass
class RecordingSink:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    originals: dict[str, list[bytes | None]] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)

    def extend(self, table: Any, rows: Any, *, originals: Any = None, topic: Any = None) -> bool:
        batch = list(rows)
        self.rows.setdefault(table.name, []).extend(batch)
        self.originals.setdefault(table.name, []).extend(originals or [None] * len(batch))
        return False

    def flush(self, tables: Any = None) -> int:
        return 0

    def take_rejected(self, tables: Any = None) -> list[Any]:
        taken = [r for r in self.rejected if tables is None or r.table in tables]
        self.rejected = [r for r in self.rejected if r not in taken]
        return taken

    def drain(self) -> None:
        pass


@dataclass
class Recorded:
    alerts: list[AlertEvent] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def worker() -> tuple[Context, RecordingSink, Recorded]:
    sink = RecordingSink()
    settings = Settings(
        kafka=KafkaSettings(namespace="unit"), streams=StreamsSettings(store="memory://")
    )
    ctx = create_app(settings, sink)
    seen = Recorded()

    async def publish_alert(alert: AlertEvent) -> None:
        seen.alerts.append(alert)

    async def dead_letter(spec: Any, value: bytes | None, reason: str) -> None:
        seen.dead_letters.append(reason)

    async def send_signal(value: bytes) -> None:
        seen.signals.append(json.loads(value))

    ctx.publish_alert = publish_alert  # type: ignore[method-assign]
    ctx.dead_letter = dead_letter  # type: ignore[method-assign]
    ctx.send_signal = send_signal  # type: ignore[method-assign]
    return ctx, sink, seen


def records(
    *values: bytes, partition: int = 0, timestamp: float | None = None
) -> list[SimpleNamespace]:
    """Kafka-like records; `timestamp` (epoch seconds) is when they were published."""
    return [
        SimpleNamespace(value=v, partition=partition, offset=n, timestamp=timestamp)
        for n, v in enumerate(values)
    ]


def changelog(ctx: Context) -> list[tuple[str, bytes, int]]:
    """(topic, key, partition) of each changelog record the tables sent since the last call."""
    pending = ctx.app.producer.buffer.pending
    sent = []
    while not pending.empty():
        message = pending.get_nowait().message
        sent.append((message.channel.get_topic_name(), message.key, message.partition))
    return sent


def run(ctx: Context, processor: str, batch: list[SimpleNamespace]) -> None:
    asyncio.run(ctx.processors[f"cityops-streams.{processor}"](batch))

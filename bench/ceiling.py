"""The ceiling: a minimal aiokafka -> clickhouse-driver consumer doing only raw inserts.

No validation, no state, no alerts: JSON in, row tuples out, one INSERT per batch. What the
stream worker reaches against this, on the same machine and the same events, is the price of
everything it does on top.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer

from cityops.contract import SOURCE_TOPICS
from cityops.db.client import make_client
from cityops.db.tables import RAW_TABLES, TableSpec
from cityops.settings import Settings

BATCH = 5000


def _ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _row(spec: TableSpec, value: dict[str, Any], partition: int, offset: int) -> tuple[Any, ...]:
    occurred = _ts(value["occurred_at"])
    assert occurred is not None
    extra = {
        "occurred_ms": int(occurred.timestamp() * 1000),
        "ingested_at": datetime.now(UTC),
        "kafka_partition": partition,
        "kafka_offset": offset,
    }
    row = []
    for column in spec.columns:
        if column.name in extra:
            row.append(extra[column.name])
        elif "DateTime" in column.type:
            row.append(_ts(value.get(column.name)))
        else:
            row.append(value.get(column.name))
    return tuple(row)


async def drain(settings: Settings, expected: int, timeout: float = 900) -> float:
    """Consume every source topic from the start into the raw tables; returns events/s."""
    topics = {spec.name(settings.kafka.namespace): RAW_TABLES[spec.base] for spec in SOURCE_TOPICS}
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=f"{settings.kafka.namespace}-ceiling",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=BATCH,
    )
    client = make_client(settings.clickhouse)
    database = settings.clickhouse.database
    await consumer.start()
    done = 0
    started = None
    loop = asyncio.get_running_loop()
    try:
        deadline = time.monotonic() + timeout
        while done < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            if not batches:
                continue
            started = started or time.monotonic()
            rows: dict[str, list[tuple[Any, ...]]] = {}
            for tp, records in batches.items():
                spec = topics[tp.topic]
                for record in records:
                    value = json.loads(record.value)
                    rows.setdefault(spec.name, []).append(
                        _row(spec, value, record.partition, record.offset)
                    )
            for name, table_rows in rows.items():
                spec = RAW_TABLES[next(k for k, v in RAW_TABLES.items() if v.name == name)]
                await loop.run_in_executor(
                    None, client.execute, spec.insert_sql(database), table_rows
                )
                done += len(table_rows)
            await consumer.commit()
    finally:
        await consumer.stop()
        client.disconnect()
    elapsed = time.monotonic() - (started or time.monotonic())
    return done / elapsed if elapsed else 0.0

"""kafka-python clients configured the one way cityops uses them.

Topics are created and checked by `cityops.kafka_topics` (`cityops kafka init`), not here.
Producers are durable by default (`acks=all`, idempotence, bounded retries, lz4): a record
acknowledged here survives a broker restart and is written once per send.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import UnknownTopicOrPartitionError

from cityops.settings import KafkaSettings


def make_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    options: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "retries": 10,
        "max_in_flight_requests_per_connection": 5,
        "compression_type": "lz4",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "delivery_timeout_ms": 120_000,
        "request_timeout_ms": 30_000,
    }
    options.update(settings.client_kwargs())
    options.update(overrides)
    return KafkaProducer(**options)


def make_consumer(settings: KafkaSettings, *topics: str, **overrides: Any) -> KafkaConsumer:
    options: dict[str, Any] = {
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "consumer_timeout_ms": 5000,
    }
    options.update(settings.client_kwargs())
    options.update(overrides)
    return KafkaConsumer(*topics, **options)


def make_admin(settings: KafkaSettings) -> KafkaAdminClient:
    return KafkaAdminClient(**settings.client_kwargs(), request_timeout_ms=15_000)


def delete_topics(settings: KafkaSettings, names: Iterable[str]) -> None:
    admin = make_admin(settings)
    try:
        present = set(admin.list_topics())
        doomed = [n for n in names if n in present]
        if doomed:
            with contextlib.suppress(UnknownTopicOrPartitionError):
                admin.delete_topics(doomed)
    finally:
        admin.close()


def read_all(
    settings: KafkaSettings, topic: str, *, idle_timeout_ms: int = 3000, limit: int | None = None
) -> Iterator[Any]:
    """Every record of a topic from the beginning, until it has been idle for a while.

    Meant for tests, audits and replays, not for stream processing.
    """
    consumer = make_consumer(settings, topic, consumer_timeout_ms=idle_timeout_ms)
    try:
        for count, record in enumerate(consumer, start=1):
            yield record
            if limit is not None and count >= limit:
                return
    finally:
        consumer.close()

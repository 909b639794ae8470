"""Connector throughput: one connector process publishing events, next to plain kafka-python.

Both sides send the same pre-serialized events to the local broker with the same producer
settings (acks=all, idempotence, lz4). The connector side pays for what makes it a connector:
JSON parsing, contract validation, keying, metrics and delivery callbacks; the ratio is that
price. Run with `make bench-connectors` (it must run as `python -m bench.connectors` from the
repo root, so that `connectors` is the package, not this file).
"""

from __future__ import annotations

import argparse
import time
import uuid
from dataclasses import replace

from cityops import localstack
from cityops.contract import DEADLETTER, PAYMENT
from cityops.kafka import delete_topics, make_producer
from cityops.kafka_topics import apply_plans, contract_plan, ensure_topics
from cityops.settings import KafkaSettings, Settings
from connectors.payment.connector import PaymentConnector
from connectors.testing.samples import contract_event


def build_events(count: int) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs of distinct, valid payment events as a source would send them."""
    events = (contract_event("payment", "bench", n) for n in range(count))
    return [(e.key().encode(), e.to_json_bytes()) for e in events]


def plain_kafka(kafka: KafkaSettings, topic: str, events: list[tuple[bytes, bytes]]) -> float:
    producer = make_producer(kafka)
    try:
        start = time.perf_counter()
        for key, value in events:
            producer.send(topic, key=key, value=value)
        producer.flush()
        return len(events) / (time.perf_counter() - start)
    finally:
        producer.close()


def connector(settings: Settings, events: list[tuple[bytes, bytes]]) -> float:
    conn = PaymentConnector({"source": "bench"}, settings)
    try:
        start = time.perf_counter()
        for _key, value in events:
            conn.handle(value)
        conn.publisher.flush()
        elapsed = time.perf_counter() - start
        assert conn.metrics.sent == len(events) and conn.metrics.dead_lettered_total == 0
        return len(events) / elapsed
    finally:
        conn.publisher.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000, help="events per side")
    args = parser.parse_args(argv)
    namespace = f"benchconn{uuid.uuid4().hex[:6]}"
    settings = Settings(kafka=localstack.kafka_settings(namespace=namespace))
    kafka = settings.kafka
    ensure_topics(kafka, [PAYMENT, DEADLETTER])
    plain_topic = f"{namespace}.plain"
    # The broker does not auto-create topics: the baseline's is the payment topic's twin.
    apply_plans(kafka, [replace(contract_plan(PAYMENT, kafka), name=plain_topic)])
    try:
        events = build_events(args.events)
        plain_kafka(kafka, plain_topic, events[: min(2000, len(events))])  # warm up metadata
        baseline = plain_kafka(kafka, plain_topic, events)
        ours = connector(settings, events)
    finally:
        delete_topics(kafka, [PAYMENT.name(namespace), DEADLETTER.name(namespace), plain_topic])
    print(f"events per side            {args.events:>10,}")
    print(f"plain kafka-python         {baseline:>10,.0f} events/s")
    print(f"payment connector (handle) {ours:>10,.0f} events/s")
    print(f"connector / plain          {ours / baseline:>10.2f}")


if __name__ == "__main__":
    main()

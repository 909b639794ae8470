"""Run a connector against its sample source, the way production does.

The harness starts the connector in a thread (as `cityops connectors run` would in a process),
feeds records through the connector's own adapter, and reads back what reached Kafka: the
real broker, or, offline, the `FakeProducer` it was given (no broker needed).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka import TopicPartition

from cityops.contract import DEADLETTER
from cityops.kafka import make_consumer
from cityops.settings import KafkaSettings, Settings
from connectors.sdk.connector import Connector
from connectors.testing.fakes import FakeProducer

#: Generous bound for one step; a connector that needs longer is broken, not slow.
STEP_TIMEOUT = 60.0


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def read_topic(kafka: KafkaSettings, topic: str) -> list[Any]:
    """Every record of `topic` up to its current end (no idle timeout to wait out)."""
    consumer = make_consumer(kafka, group_id=None, consumer_timeout_ms=1000)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = consumer.end_offsets(assigned)
        records: list[Any] = []
        deadline = time.monotonic() + STEP_TIMEOUT
        while any(consumer.position(tp) < end[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end")
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


class Harness:
    def __init__(
        self, cls: type[Connector], settings: Settings, *, producer: FakeProducer | None = None
    ) -> None:
        self.cls = cls
        self.settings = settings
        #: Offline: every connector of this harness sends here instead of to Kafka.
        self.producer = producer
        self.source = f"suite-{cls.name}"
        self.secret = f"suite-secret-{uuid.uuid4().hex}"
        self.sample_source = cls.sample_source()
        self.samples = cls.sample_input(self.source)
        self.config = self.sample_source.config(self.source, self.secret)

    @property
    def topic_name(self) -> str:
        return self.cls.topic.name(self.settings.kafka.namespace)

    @property
    def deadletter_name(self) -> str:
        return DEADLETTER.name(self.settings.kafka.namespace)

    def new_connector(self) -> Connector:
        if self.producer is None:
            return self.cls(self.config, self.settings)
        producer: Any = self.producer
        return self.cls(self.config, self.settings, producer=producer, create_topics=False)

    @contextmanager
    def running(self, connector: Connector | None = None) -> Iterator[Connector]:
        """The connector running in a thread; on exit it is stopped and must end cleanly."""
        connector = connector or self.new_connector()
        errors: list[BaseException] = []

        def target() -> None:
            try:
                connector.start()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=target, name=f"connector-{self.cls.name}", daemon=True)
        thread.start()
        wait_until(lambda: connector.ready.is_set() or bool(errors), "the connector to start")
        try:
            yield connector
        finally:
            connector.stop()
            thread.join(STEP_TIMEOUT)
        if thread.is_alive():
            raise AssertionError(f"{self.cls.name} did not stop after stop()")
        if errors:
            raise AssertionError(f"{self.cls.name} failed: {errors[0]!r}") from errors[0]

    def deliver(self, connector: Connector, records: list[bytes]) -> None:
        self.sample_source.deliver(connector, records)

    def wait_acked(self, connector: Connector, count: int) -> None:
        """Until `count` records (events or dead letters) were acknowledged by Kafka."""
        wait_until(lambda: connector.metrics.sent >= count, f"{count} records acknowledged")

    def events(self) -> list[Any]:
        return self._read(self.topic_name)

    def dead_letters(self) -> list[Any]:
        return self._read(self.deadletter_name)

    def _read(self, topic: str) -> list[Any]:
        """Records of `topic` (with `.key` and `.value`), from Kafka or the fake producer."""
        if self.producer is not None:
            return [sent for sent in self.producer.sent if sent.topic == topic]
        return read_topic(self.settings.kafka, topic)

    def close(self) -> None:
        self.sample_source.close()

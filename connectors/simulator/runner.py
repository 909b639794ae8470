"""Feeding generated events somewhere, paced, stoppable, with a per-topic tally at the end.

A sink is anything with `send` and `close`; the kafka mode's sink publishes straight through
the connectors' `Publisher` (one per simulated source, sharing one producer), the adapters
mode's sink goes through the real source adapters (`connectors.simulator.adapters_mode`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cityops.contract import BY_FAMILY, DEADLETTER, SOURCE_TOPICS, Envelope
from cityops.kafka import make_producer
from cityops.kafka_topics import ensure_topics
from cityops.settings import KafkaSettings
from connectors.sdk.publisher import Publisher, PublishError
from connectors.simulator.pacing import Pacer


@dataclass
class Tally:
    """Per topic: events handed to the sink, and what Kafka acknowledged or refused."""

    emitted: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False


class Sink(Protocol):
    def send(self, event: Envelope) -> None: ...

    def close(self, tally: Tally) -> None:
        """Deliver whatever is in flight and fill in the acknowledgements of `tally`."""
        ...


class KafkaSink:
    """Publishes each event to its contract topic, as a connector of its `source` would."""

    def __init__(self, kafka: KafkaSettings) -> None:
        ensure_topics(kafka, (*SOURCE_TOPICS, DEADLETTER))
        self.kafka = kafka
        self.producer = make_producer(kafka)
        self.publishers: dict[str, Publisher] = {}
        self._topic_of: dict[str, str] = {}

    def send(self, event: Envelope) -> None:
        publisher = self.publishers.get(event.source)
        if publisher is None:
            publisher = Publisher(self.kafka, source=event.source, producer=self.producer)
            self.publishers[event.source] = publisher
            self._topic_of[event.source] = BY_FAMILY[event.family].name(self.kafka.namespace)
        publisher.publish(event)

    def close(self, tally: Tally) -> None:
        try:
            for source, publisher in self.publishers.items():
                try:
                    publisher.flush()
                except PublishError as exc:
                    tally.errors.append(f"{source}: {exc}")
                topic = self._topic_of[source]
                tally.acked[topic] += publisher.metrics.sent
                tally.failed[topic] += publisher.metrics.failed
                tally.dead_lettered[topic] += publisher.metrics.dead_lettered_total
        finally:
            self.producer.close()


def topic_of(event: Envelope, namespace: str) -> str:
    return BY_FAMILY[event.family].name(namespace)


def run(
    events: Sequence[Envelope],
    sink: Sink,
    pacer: Pacer,
    *,
    namespace: str = "",
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
) -> Tally:
    """Send every event (or until `pacer.stop` is set), then close the sink: a stop request
    still delivers what was already sent and yields a complete tally."""
    tally = Tally()
    stop: threading.Event = pacer.stop
    sent = 0
    try:
        for event in events:
            if not pacer.wait(event.occurred_at):
                break
            sink.send(event)
            tally.emitted[topic_of(event, namespace)] += 1
            sent += 1
            if on_progress is not None and sent % progress_every == 0:
                on_progress(sent)
    finally:
        tally.interrupted = stop.is_set()
        if on_progress is not None:
            on_progress(sent)
        sink.close(tally)
    return tally

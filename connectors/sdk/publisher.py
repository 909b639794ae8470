"""The one way a connector writes to Kafka: contract events to their topic, bad input to the
dead-letter topic, and a `flush` that says whether everything really arrived.

Checkpoints are only safe after `flush` returned without raising: kafka-python reports a
failed send on its sender thread, so the publisher remembers failures until the next flush.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from cityops.contract import BY_FAMILY, DEADLETTER, DeadLetter, Envelope
from cityops.kafka import make_producer
from cityops.settings import KafkaSettings
from cityops.timeutil import utcnow
from connectors.sdk.metrics import ConnectorMetrics
from connectors.sdk.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

#: A dead letter keeps the original, but not a megabyte of it in the text preview.
MAX_ORIGINAL_TEXT = 64 * 1024
#: ...and at most this much of it at all: base64 of a whole 1 MiB webhook body would pass
#: Kafka's 1 MiB message limit, so the dead letter itself could never be sent.
MAX_ORIGINAL_BYTES = 512 * 1024
MAX_REASON = 2000


class PublishError(RuntimeError):
    """At least one send since the last flush was not acknowledged by Kafka."""


class Publisher:
    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        source: str,
        producer: KafkaProducer | None = None,
    ) -> None:
        self.kafka = kafka
        self.source = source
        self.metrics = ConnectorMetrics()
        self._producer = producer if producer is not None else make_producer(kafka)
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._closed = False
        self._warn = RateLimitedLog(log)

    def __repr__(self) -> str:
        return f"Publisher(source={self.source!r}, namespace={self.kafka.namespace!r})"

    def publish(self, event: Envelope) -> FutureRecordMetadata:
        topic = BY_FAMILY[event.family].name(self.kafka.namespace)
        future = self._send(topic, event.key(), event.to_json_bytes())
        self.metrics.record_event_time(event.occurred_at)
        return future

    def dead_letter(
        self,
        original: bytes,
        reason: str,
        *,
        topic: str | None = None,
        source: str | None = None,
    ) -> FutureRecordMetadata:
        """Keep rejected input (base64, whole up to 512 KiB) with why it was rejected, keyed
        by source."""
        source = source or self.source
        if len(original) > MAX_ORIGINAL_BYTES:
            reason = f"{reason} (original cut to its first {MAX_ORIGINAL_BYTES} bytes)"
            original = original[:MAX_ORIGINAL_BYTES]
        record = DeadLetter(
            source=source,
            reason=reason[:MAX_REASON],
            original_b64=base64.b64encode(original).decode("ascii"),
            original_text=original[:MAX_ORIGINAL_TEXT].decode("utf-8", errors="replace"),
            at=utcnow(),
            stage="connector",
            topic=topic,
        )
        self.metrics.record_dead_letter(reason)
        self._warn.warning("dead-lettered input from %s: %s", source, reason[:300])
        return self._send(DEADLETTER.name(self.kafka.namespace), source, record.to_json_bytes())

    def _send(self, topic: str, key: str, value: bytes) -> FutureRecordMetadata:
        future = self._producer.send(topic, key=key.encode("utf-8"), value=value)
        future.add_callback(self._on_success)
        future.add_errback(self._on_error)
        return future

    def _on_success(self, _metadata: Any) -> None:
        self.metrics.record_sent()

    def _on_error(self, exc: BaseException) -> None:
        self.metrics.record_failed()
        with self._lock:
            self._errors.append(exc)
        log.error("send to Kafka failed: %s", exc)

    def flush(self, timeout: float | None = None) -> None:
        """Wait for every in-flight send; raise PublishError if any of them failed."""
        self._producer.flush(timeout=timeout)
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise PublishError(f"{len(errors)} send(s) failed, first: {errors[0]!r}")

    def close(self) -> None:
        """Flush, then close the producer; the flush error (if any) is raised after closing."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self._producer.close()

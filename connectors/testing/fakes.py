"""An in-memory stand-in for KafkaProducer, for connector unit tests that need no broker.

It completes each send at once (or fails it, when `fail` says so), so a unit test sees the
same callbacks and `flush` errors the Publisher gets from the real client. Integration tests
use the real broker instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaTimeoutError
from kafka.future import Future


class DoneFuture(Future):
    def get(self, timeout: float | None = None) -> Any:
        if self.failed():
            raise self.exception  # type: ignore[misc]
        return self.value


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes


class FakeProducer:
    def __init__(self, fail: Callable[[str, bytes], bool] | None = None) -> None:
        self.sent: list[Sent] = []
        self.fail = fail
        self.closed = False

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> DoneFuture:
        future = DoneFuture()
        if self.fail is not None and self.fail(topic, value):
            return future.failure(KafkaTimeoutError("fake broker refused the record"))
        self.sent.append(Sent(topic, key, value))
        return future.success({"topic": topic})

    def to(self, topic_suffix: str) -> list[Sent]:
        return [s for s in self.sent if s.topic.endswith(topic_suffix)]

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        self.closed = True

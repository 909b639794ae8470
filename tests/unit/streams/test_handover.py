"""A revocation waits for the batches in hand and for every buffered changelog record
(streams/handover.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from streams.handover import Handover, drain_buffer


@dataclass
class Buffer:
    """Faust's ProducerBuffer as the loaded worker saw it: each flush sends a few records
    and returns while others are still buffered (after a 0.1 s lull, shortened here)."""

    size: int
    per_flush: int
    flushes: int = 0
    state: str = "running"

    async def flush_atmost(self, max_messages: int) -> int:
        if self.state != "running" and self.size:
            raise RuntimeError("Cannot flush: Producer not Running")
        self.flushes += 1
        sent = min(self.per_flush, max_messages, self.size)
        self.size -= sent
        await asyncio.sleep(0.01)
        return sent


@dataclass
class Producer:
    buffer: Buffer
    log: list[str] = field(default_factory=list)

    async def flush(self) -> None:
        self.log.append(f"kafka flush with {self.buffer.size} buffered")


def test_settle_drains_a_buffer_whose_flush_returns_early() -> None:
    producer = Producer(Buffer(size=10, per_flush=3))
    assert asyncio.run(Handover().settle(producer, within=5))
    assert producer.buffer.size == 0 and producer.buffer.flushes == 4
    assert producer.log == ["kafka flush with 0 buffered"]


def test_settle_waits_for_the_batch_in_hand_and_the_records_it_writes() -> None:
    async def scenario() -> list[str]:
        handover = Handover()
        producer = Producer(Buffer(size=0, per_flush=100))
        order: list[str] = []

        async def batch() -> None:
            with handover.handling():
                await asyncio.sleep(0.05)
                producer.buffer.size += 50  # its changelog records, after the revocation began
                order.append("batch written")

        task = asyncio.ensure_future(batch())
        await asyncio.sleep(0)
        assert handover.in_hand == 1
        assert await handover.settle(producer, within=5)
        order.append(f"settled with {producer.buffer.size} buffered")
        await task
        return order

    assert asyncio.run(scenario()) == ["batch written", "settled with 0 buffered"]


def test_settle_gives_up_within_its_bound_and_says_so(caplog) -> None:  # type: ignore[no-untyped-def]
    producer = Producer(Buffer(size=10, per_flush=0))
    assert not asyncio.run(Handover().settle(producer, within=0.3))
    assert "10 records buffered" in caplog.text


def test_drain_stops_at_the_size_asked_for() -> None:
    buffer = Buffer(size=100, per_flush=30)
    asyncio.run(drain_buffer(buffer, down_to=20))
    assert buffer.size == 20 and buffer.flushes == 3


def test_drain_leaves_a_stopped_buffer_to_its_own_stop() -> None:
    buffer = Buffer(size=100, per_flush=30, state="stopping")
    asyncio.run(drain_buffer(buffer))
    assert buffer.size == 100 and buffer.flushes == 0

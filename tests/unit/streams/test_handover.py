"""A revocation waits for the batches in hand and for every buffered changelog record
(streams/handover.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from streams.handover import Handover


@dataclass
class Buffer:
    """Faust's ProducerBuffer as the loaded worker saw it: each flush sends a few records
    and returns while others are still buffered."""

    size: int
    per_flush: int
    flushes: int = 0

    async def flush(self) -> None:
        self.flushes += 1
        self.size = max(self.size - self.per_flush, 0)


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

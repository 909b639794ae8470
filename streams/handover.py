"""A worker hands its partitions over only once their changelog records are in Kafka.

The next owner of a table partition rebuilds it from the changelog as it stands when its
recovery starts; a record the previous owner writes later is never read by it (an active
table does not read its own changelog). Faust flushes its producer when partitions are
revoked, for that reason, but two things escaped the flush:

- the batch processors (streams/context.py) are outside Faust's streams, so Faust's wait for
  the streams to finish did not wait for a batch being turned into table writes; its
  changelog records were produced after the flush;
- `ProducerBuffer.flush` returns as soon as no record has left the buffer for 0.1 s, which a
  loaded event loop easily makes happen: the flush returned with thousands of changelog
  records still buffered.

Seen on 2026-11-30 (tests/faults/test_standby.py, load ~20): the owner of 60,000 open
dossiers still had ~15,000 changelog records in its buffer after the rebalance; the joining
worker recovered two partitions from 60 and 78 records where ~10,000 each were due, and
after the owner's death 4,870 and 6,657 states were missing. `Handover.settle` waits for
the batches in hand and then drains the producer for real, within a bound below the group's
rebalance timeout.

`drain_buffer` is the loop both waits need: the batch processors call it before each batch
to keep the buffer near one batch (streams/context.py), the revocation to empty it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("cityops.streams")


async def drain_buffer(buffer: Any, down_to: int = 0) -> None:
    """Flush Faust's producer buffer until at most `down_to` records wait in it.

    `ProducerBuffer.flush_atmost` returns after 0.1 s in which no record left, so one call
    does not reach any size; it is called again until the buffer is that small. A buffer
    that is not running (a worker stopping) is left as it is: Faust's flush refuses it, and
    its `on_stop` sends what it holds."""
    while buffer.size > down_to and buffer.state == "running":
        await buffer.flush_atmost(buffer.size - down_to)


@dataclass
class Handover:
    """The batches being processed now, and the wait for them and their records at revocation."""

    in_hand: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._idle.set()

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Around a batch turned into table writes (and so changelog records)."""
        self.in_hand += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.in_hand -= 1
            if not self.in_hand:
                self._idle.set()

    async def settle(self, producer: Any, within: float) -> bool:
        """Wait for the batches in hand, then until the producer's buffer is empty and Kafka
        acknowledged what it sent; False (and a warning) if `within` seconds were not enough."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        try:
            await asyncio.wait_for(self._idle.wait(), within)
            await asyncio.wait_for(drain_buffer(producer.buffer), deadline - loop.time())
            await asyncio.wait_for(producer.flush(), max(deadline - loop.time(), 0.001))
        except TimeoutError:
            log.warning(
                "partitions handed over before their changelog was written: %d batches in "
                "hand, %d records buffered after %.0f s",
                self.in_hand,
                producer.buffer.size,
                within,
            )
            return False
        return True

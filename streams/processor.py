"""What a stateful processor is: its tables, `handle(batch)`, `on_timer()`, `on_rebalance()`.

One object per processor, so where each key lives and how it is recovered is visible in one
place: the tables it declares (each a `PartitionedTable`, on the partitions of its input
topic), what a batch does to them, what its timer does, and what it keeps after a rebalance.
`register_processor` wires the object into the Faust app; unit tests call the same methods.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence

import faust
from faust.types import Message

from streams.context import Context, register_batch_processor
from streams.state_table import PartitionedTable, owned_partitions, store_options

log = logging.getLogger("cityops.streams")


def next_version(previous: int, now_ms: int) -> int:
    """An alert's next version: the worker's clock, but always above the last one, so the
    alerts table keeps changes in the order the workers made them, whatever the event times."""
    return max(now_ms, previous + 1)


class Processor(ABC):
    """A batch processor that keeps state in partitioned tables."""

    #: Short name; the batch processor is `<app_id>.<name>`.
    name: str
    #: How often `on_timer` runs; None for no timer.
    timer_seconds: float | None = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def table(self, name: str, partitions: int, help: str) -> PartitionedTable:
        """A table of this processor, stored as the settings say."""
        options = store_options(self.ctx.settings.streams)
        return PartitionedTable(self.ctx.app, name, partitions, help, options)

    @property
    @abstractmethod
    def topic(self) -> faust.TopicT:
        """The topic whose records this processor takes (its tables share its partitions)."""

    @property
    @abstractmethod
    def tables(self) -> tuple[PartitionedTable, ...]: ...

    @abstractmethod
    async def handle(self, batch: Sequence[Message]) -> None: ...

    async def on_timer(self) -> None:
        return None

    async def on_rebalance(self, partitions: set[int]) -> None:
        """After the tables were read back: keep only the keys of `partitions`."""
        for table in self.tables:
            dropped = table.keep_partitions(partitions)
            if dropped:
                log.info(
                    "%s: forgot %d keys of partitions now owned elsewhere", table.name, dropped
                )


def register_processor(ctx: Context, processor: Processor) -> None:
    name = f"{ctx.settings.streams.app_id}.{processor.name}"
    register_batch_processor(ctx, processor.topic, name, processor.handle)
    ctx.stateful[processor.name] = processor

    async def recovered() -> None:
        # Faust calls this after a table's changelog partitions are read back and before
        # the input partitions resume, so nothing is processed against half a state.
        await processor.on_rebalance(owned_partitions(ctx.app, processor.topic))

    # Once per rebalance: every table of a processor is recovered in the same pass.
    processor.tables[0].table.on_recover(recovered)
    if processor.timer_seconds is not None:
        ctx.app.timer(processor.timer_seconds, name=f"{name}.timer")(processor.on_timer)

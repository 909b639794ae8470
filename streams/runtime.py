"""The Faust runtime of the workers: upstream's, with records delivered in batches.

Profiling a backfilling worker showed Faust's per-record hand-off to agents costing more than
everything cityops does with a record (stock agents that only acknowledge stop at about 13k
events/s on the CI machine; see README, Performance). Three changes, in this module only:

1. Inboxes (`Inbox`, `App.inbox`). The drain loop puts the records of every topic a
   processor subscribed through `App.inbox` into that topic's inbox; the processor takes
   them in batches (streams/context.py, `register_batch_processor`).

2. The other records (table changelogs, read during recovery) go upstream's way, which
   wraps every delivery in four tasks and an `asyncio.wait`:

       await self.wait_first(callback(message), self.suspend_flow.wait())

   The tasks exist for one case: a delivery that has to *wait* (its queue is full, flow
   control or the producer buffer holds it back) must be abandoned when a rebalance
   suspends the flow, or the drain loop and the rebalance deadlock. A delivery that cannot
   wait does not need them: the drain loop keeps a budget (the fewest free slots over the
   subscribed queues; only it fills them), and while the budget lasts, flow is active, the
   producer buffer is under its limit and the conductor is not re-indexing, it delivers
   with a plain `await` that never yields to the event loop.

3. `LeanMonitor`: Faust's Monitor times every record in and out of every stream for
   statistics nothing here reads (the workers keep their own counters, `/metrics`).

And two fixes, not for speed. After a rebalance, partitions nobody has committed yet are
read again from their first record (`Consumer.seek_to_committed`), as partitions with a
committed offset are read again from it; upstream left such a partition past the records it
had fetched and dropped, and they were never processed. And the source records reach their
inboxes in offset order without holes (`streams/delivery_order.py`): upstream took a record
past its read offset for a gap to commit past, and one from a fetch older than a seek could
be such a record.

`_drain_messages` below is upstream's loop with the inbox branch (ordered) and the plain
delivery branch added; a unit test pins the upstream source it was copied from, so an
upgrade of faust-streaming that changes it fails loudly instead of silently running stale
logic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import faust
from faust.sensors.monitor import Monitor
from faust.transport.consumer import CONSUMER_FETCHING, ensure_TP
from faust.transport.drivers import aiokafka as upstream
from faust.types import TP, CollectionT, EventT, Message, StreamT
from mode import Service

from streams.delivery_order import DeliveryOrder, Verdict
from streams.handover import Handover

log = logging.getLogger("cityops.streams")

#: Of the group's rebalance timeout, what a revocation may wait for its changelog records.
HANDOVER_SHARE = 0.5

#: Records delivered on the plain path are re-budgeted at least this often.
MAX_BUDGET = 10_000


class Consumer(upstream.Consumer):
    """faust-streaming's aiokafka consumer, delivering records without per-record tasks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = DeliveryOrder()

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every source partition to its committed offset, and those with none (or 0)
        back to their first record; a table's changelog is left where its recovery put it.

        Faust drops records it fetched but cannot deliver now: `Consumer.getmany` skips the
        records of partitions paused for a recovery and abandons the rest of a fetch when
        the flow stops or the generation changes; inboxes are emptied when partitions are
        revoked. aiokafka has already moved its position past them, so Faust seeks every
        partition back to its committed offset before the flow resumes. But aiokafka's
        `seek_to_committed` moves only partitions whose committed offset is above 0: a
        partition nobody has committed yet kept its position past the dropped records, and
        they were never processed. Seen in CI (2026-11-30): a worker started after one that
        was SIGKILLed before its first commit fetched the source partitions while recovering
        its tables, and then stored none of the records published before it started.
        Reading such a partition from its first record is what a consumer without a
        committed offset does (`consumer_auto_offset_reset="earliest"`, streams/app.py);
        the idempotent tables absorb anything read twice.
        """
        committed = await super().seek_to_committed()
        changelogs = self.app.tables.changelog_topics
        sources = {tp: offset for tp, offset in committed.items() if tp.topic not in changelogs}
        unset = [tp for tp, offset in sources.items() if not offset]
        earliest = await self.earliest_offsets(*unset) if unset else {}
        # Sought again here, even where aiokafka already did: records it fetched after its
        # seek and before this point reached the drain loop while the partition's start was
        # unknown, and were skipped (streams/delivery_order.py); they are fetched again.
        await self._seek_sources(
            {tp: offset if offset else earliest[tp] for tp, offset in sources.items()}
        )
        return committed

    async def _seek_sources(self, starts: Mapping[TP, int]) -> None:
        """Seek source partitions, in aiokafka's thread, after telling the drain loop where
        each starts.

        Faust's `Consumer.seek` calls aiokafka from the event loop's thread, racing the
        fetcher in aiokafka's own: with a seek of every source partition after each
        rebalance, a worker crashed on a `KeyError` in aiokafka's `fetched_records`
        (2026-11-30, the multi-worker fault test). `seek_wait` runs the seek in that thread,
        in order with the fetches. The expected offsets are set first: a record fetched
        before the seek is then delivered only if it is the expected one, and one past it
        asks for another seek.
        """
        for tp, offset in starts.items():
            self.order.sought(ensure_TP(tp), offset)
        await self.seek_wait(starts)

    async def _reseek(self, tp: TP) -> None:
        """Seek `tp` back to the offset its inbox expects (see streams/delivery_order.py)."""
        expected = self.order.expected(tp)
        if expected is None or self.suspend_flow.is_set():
            # A rebalance is on: the seek that ends it decides where the partition starts.
            self.order.reseek_failed(tp)
            return
        log.info(
            "Fetching %s again from offset %d: records before the next were dropped", tp, expected
        )
        try:
            await self._seek_sources({tp: expected})
        except Exception as exc:  # a refused seek is asked again on the next record
            self.order.reseek_failed(tp)
            log.warning("Could not seek %s back to offset %d: %r", tp, expected, exc)

    async def _accept_hole(self, tp: TP, start: int, offset: int) -> None:
        """Offsets `start` to `offset - 1` of `tp` hold no record (deleted by retention before
        anyone read them): count them read so the partition's commits pass them."""
        log.warning("%s has no records from offset %d to %d: skipping them", tp, start, offset - 1)
        if self.app.topics.acks_enabled_for(tp.topic):
            await self._add_gap(tp, start, offset - 1)

    def _delivery_budget(self) -> int:
        """How many records can be delivered now without any delivery having to wait."""
        app = self.app
        if self.suspend_flow.is_set() or not app.flow_control.is_active():
            return 0
        conductor = app.topics
        if conductor._tp_to_callback_lock.locked():
            return 0
        budget = MAX_BUDGET
        for channel in list(conductor._topics):
            queue = channel.queue
            if queue.maxsize > 0:
                budget = min(budget, queue.maxsize - queue.qsize())
        return max(budget, 0)

    async def _inbox_ready(self, inbox: Inbox) -> None:
        await self.app.flow_control.acquire()
        await inbox.wait_for_room()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - the worker's loop
        app = self.app
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        suspended = self.suspend_flow.is_set
        flow_active = self.app.flow_control.is_active
        conductor_lock = self.app.topics._tp_to_callback_lock
        producer_buffer = self.app.producer.buffer

        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        flag_consumer_fetching = CONSUMER_FETCHING
        set_flag = self.diag.set_flag
        unset_flag = self.diag.unset_flag
        commit_every = self._commit_every
        acks_enabled_for = self.app.topics.acks_enabled_for
        inbox_for = cast(App, self.app).inboxes.get
        order = self.order
        fetches = 0

        yield_every = 100
        num_since_yield = 0
        budget = 0
        sleep = asyncio.sleep

        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                set_flag(flag_consumer_fetching)
                fetches += 1
                ait = cast(AsyncIterator, getmany(timeout=1.0))
                await self.sleep(0)
                if not self.should_stop:
                    budget = self._delivery_budget()
                    async for tp, message in ait:
                        num_since_yield += 1
                        if num_since_yield > yield_every:
                            await sleep(0)
                            num_since_yield = 0
                            budget = self._delivery_budget()

                        offset = message.offset
                        inbox = inbox_for(tp.topic)
                        if inbox is not None:
                            if commit_every is not None and self._n_acked >= commit_every:
                                self._n_acked = 0
                                await self.commit()
                                budget = self._delivery_budget()
                            generation = app.consumer_generation_id
                            expected = order.expected(tp)
                            verdict = order.verdict(tp, offset, fetches)
                            if verdict is Verdict.RESEEK:
                                await self._reseek(tp)
                                continue
                            if verdict is Verdict.SKIP:
                                continue
                            if verdict is Verdict.HOLE:
                                await self._accept_hole(tp, cast(int, expected), offset)
                            if inbox.full() or suspended() or not flow_active():
                                await self.wait_first(
                                    self._inbox_ready(inbox), self.suspend_flow.wait()
                                )
                            if (
                                suspended()
                                or app.consumer_generation_id != generation
                                or order.expected(tp) != offset
                            ):
                                # A rebalance or a seek came while this waited: the seek
                                # that follows decides where the partition starts again.
                                continue
                            inbox.put(message)
                            order.delivered(tp, offset)
                            set_read_offset(tp, offset)
                            continue
                        r_offset = get_read_offset(tp)
                        if r_offset is None or offset >= r_offset:
                            gap = offset - (r_offset or 0)
                            if gap > 1 and r_offset and acks_enabled_for(message.topic):
                                await self._add_gap(tp, r_offset + 1, offset)
                            if commit_every is not None and self._n_acked >= commit_every:
                                self._n_acked = 0
                                await self.commit()
                                budget = self._delivery_budget()
                            if (
                                budget > 0
                                and not suspended()
                                and flow_active()
                                and not conductor_lock.locked()
                                and producer_buffer.size <= producer_buffer.max_messages
                            ):
                                budget -= 1
                                await callback(message)
                            else:
                                await self.wait_first(callback(message), self.suspend_flow.wait())
                                budget = self._delivery_budget()
                            set_read_offset(tp, offset)
                        else:
                            self.log.dev(
                                "DROPPED MESSAGE ROFF %r: k=%r v=%r",
                                offset,
                                message.key,
                                message.value,
                            )
                    unset_flag(flag_consumer_fetching)

        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(flag_consumer_fetching)


class Inbox:
    """The fetched records of one topic, waiting to be taken by its processor in batches.

    Faust's streams hand records to agents one by one (an Event, a queue put and get, an
    iterator step and an ack per record): at backfill rates that machinery cost more than
    the processing itself. The source topics' processors want batches anyway (one INSERT per
    table per batch), so their records skip it: the drain loop puts each record here and
    the processor takes lists of them, acknowledging each record to the consumer once its
    batch is written. Offsets, commits and rebalances stay Faust's: the topic is subscribed
    through the conductor like any agent's, and the inbox is emptied when partitions are
    revoked (their records are fetched again after the seek to the committed offsets).

    Unlike the streams' queues, an inbox is not cleared when flow control *resumes*: after a
    recovery Faust resumes the partitions, seeks and only then resumes flow control, and
    records fetched during the seek would be dropped without being fetched again. A record
    the drain loop held while waiting for room is dropped instead if a rebalance came
    meanwhile: it belongs to the fetch before the seek, which delivers it again.
    """

    def __init__(self, topic: str, maxsize: int) -> None:
        self.topic = topic
        self.maxsize = maxsize
        self._records: list[Message] = []
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()

    def __len__(self) -> int:
        return len(self._records)

    def full(self) -> bool:
        return len(self._records) >= self.maxsize

    def put(self, message: Message) -> None:
        self._records.append(message)
        self._arrived.set()

    def clear(self) -> None:
        """Forget every waiting record (partitions are being revoked)."""
        self._records = []
        self._room.set()

    async def wait_for_room(self) -> None:
        while self.full():
            self._room.clear()
            await self._room.wait()

    async def take(self, max_records: int, within: float) -> list[Message]:
        """Up to `max_records` records, once there are that many or `within` seconds after
        the first one arrived; an empty list when none arrived within `within` seconds."""
        if not self._records and not await self._next_arrival(within):
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self._records) < max_records:
            if not await self._next_arrival(deadline - loop.time()):
                break
        batch, self._records = self._records[:max_records], self._records[max_records:]
        self._room.set()
        return batch

    async def _next_arrival(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        self._arrived.clear()
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Transport(upstream.Transport):
    Consumer = Consumer


class LeanMonitor(Monitor):
    """Faust's Monitor without per-record bookkeeping (commit, send and rebalance stats stay)."""

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        self.messages_received_total += 1

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT, event: EventT
    ) -> dict[str, Any] | None:
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT,
        event: EventT,
        state: dict[str, Any] | None = None,
    ) -> None:
        return None

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        return None

    def on_table_get(self, table: CollectionT, key: Any) -> None:
        return None

    def on_table_set(self, table: CollectionT, key: Any, value: Any) -> None:
        return None


class App(faust.App):
    """A Faust app with the consumer and the monitor above (everything else is upstream's)."""

    def __init__(self, id: str, **options: Any) -> None:
        options.setdefault("Monitor", LeanMonitor)
        super().__init__(id, **options)
        #: Topic name -> the inbox its records are delivered to (see `Inbox`).
        self.inboxes: dict[str, Inbox] = {}
        #: The batches taken from the inboxes and not yet turned into table writes.
        self.handover = Handover()

    def inbox(self, topic: faust.TopicT, maxsize: int) -> Inbox:
        """Subscribe to `topic`, its records delivered in batches to the returned inbox."""
        (name,) = topic.topics
        if name not in self.inboxes:
            self.inboxes[name] = Inbox(name, maxsize)
            self.topics.add(topic)
        return self.inboxes[name]

    async def _on_partitions_revoked(self, revoked: set[TP]) -> None:
        # No await before upstream stops the flow: nothing is put in between.
        for inbox in self.inboxes.values():
            inbox.clear()
        cast(Consumer, self.consumer).order.forget()
        await super()._on_partitions_revoked(revoked)
        if not self.should_stop:
            # Still inside the revocation: the group waits for it before the next owner
            # recovers these partitions (streams/handover.py).
            await self.handover.settle(
                self.producer, HANDOVER_SHARE * self.conf.broker_rebalance_timeout
            )

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)


class StockApp(faust.App):
    """Upstream's app and consumer with the same monitor as `App`: what `make bench` measures
    the fork against (`streams.batching: stock`)."""

    def __init__(self, id: str, **options: Any) -> None:
        options.setdefault("Monitor", LeanMonitor)
        super().__init__(id, **options)

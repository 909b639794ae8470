"""The worker's Faust runtime: batch inboxes, the patched drain loop, the lean monitor."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.consumer import Consumer as UpstreamConsumer
from faust.types import TP

from cityops.settings import KafkaSettings, Settings, StreamsSettings
from streams import runtime
from streams.app import create_app
from streams.delivery_order import DeliveryOrder
from streams.runtime import App, Inbox, LeanMonitor, StockApp
from tests.unit.streams.conftest import RecordingSink

#: sha256 of faust-streaming's `Consumer._drain_messages`, the loop streams/runtime.py copies.
UPSTREAM_DRAIN_SHA256 = "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_upstream_drain_loop_is_the_one_the_runtime_was_written_against() -> None:
    source = inspect.getsource(UpstreamConsumer._drain_messages)
    assert hashlib.sha256(source.encode()).hexdigest() == UPSTREAM_DRAIN_SHA256, (
        "faust-streaming's Consumer._drain_messages changed: merge the change into "
        "streams/runtime.py's copy, then update UPSTREAM_DRAIN_SHA256"
    )


def test_a_full_batch_is_taken_without_waiting() -> None:
    async def scenario() -> tuple[list[int], float, int]:
        inbox = Inbox("t", maxsize=100)
        for n in range(25):
            inbox.put(n)  # type: ignore[arg-type]
        started = time.monotonic()
        batch = await inbox.take(10, within=5.0)
        return batch, time.monotonic() - started, len(inbox)  # type: ignore[return-value]

    batch, waited, left = run(scenario())
    assert batch == list(range(10)) and left == 15
    assert waited < 1.0


def test_a_partial_batch_is_taken_within_the_window_after_the_first_record() -> None:
    async def scenario() -> tuple[list[int], float]:
        inbox = Inbox("t", maxsize=100)

        async def late() -> None:
            await asyncio.sleep(0.3)
            inbox.put(1)  # type: ignore[arg-type]
            await asyncio.sleep(0.05)
            inbox.put(2)  # type: ignore[arg-type]

        task = asyncio.ensure_future(late())
        started = time.monotonic()
        batch = await inbox.take(10, within=0.5)
        await task
        return batch, time.monotonic() - started  # type: ignore[return-value]

    batch, waited = run(scenario())
    assert batch == [1, 2]
    # The 0.5 s window starts at the first record (0.3 s), not at the call.
    assert 0.75 <= waited < 2.0


def test_nothing_arriving_gives_an_empty_batch() -> None:
    assert run(Inbox("t", maxsize=10).take(10, within=0.1)) == []


def test_a_full_inbox_holds_the_producer_until_records_are_taken() -> None:
    async def scenario() -> list[str]:
        inbox = Inbox("t", maxsize=3)
        for n in range(3):
            inbox.put(n)  # type: ignore[arg-type]
        order: list[str] = []

        async def producer() -> None:
            await inbox.wait_for_room()
            order.append("room")

        task = asyncio.ensure_future(producer())
        await asyncio.sleep(0.05)
        order.append("take")
        await inbox.take(2, within=0.1)
        await asyncio.wait_for(task, 1.0)
        return order

    assert run(scenario()) == ["take", "room"]


def test_clear_forgets_waiting_records_and_frees_room() -> None:
    inbox = Inbox("t", maxsize=2)
    inbox.put(1)  # type: ignore[arg-type]
    inbox.put(2)  # type: ignore[arg-type]
    assert inbox.full()
    inbox.clear()
    assert len(inbox) == 0 and not inbox.full()
    run(asyncio.wait_for(inbox.wait_for_room(), 0.5))


@pytest.fixture
def app() -> App:
    return App("runtime-test", broker="kafka://127.0.0.1:1", store="memory://")


def test_the_app_uses_the_runtime_consumer_and_monitor(app: App) -> None:
    assert app.transport.Consumer is runtime.Consumer
    assert isinstance(app.monitor, LeanMonitor)


def test_an_inbox_subscribes_its_topic_once(app: App) -> None:
    topic = app.topic("cityops.portal.v1", value_serializer="raw")
    first = app.inbox(topic, maxsize=10)
    assert app.inbox(topic, maxsize=10) is first
    assert app.inboxes == {"cityops.portal.v1": first}
    assert topic in app.topics._topics  # subscribed through the conductor like an agent's


def test_stock_batching_runs_the_same_processors_as_faust_agents() -> None:
    """`streams.batching: stock` (the bench's comparison): every topic an inbox would serve
    is an agent of upstream's app instead, with the same monitor."""

    def build(batching: str) -> Any:
        streams = StreamsSettings(batching=batching)  # type: ignore[arg-type]
        return create_app(
            Settings(kafka=KafkaSettings(namespace="u"), streams=streams), RecordingSink()
        )

    inbox, stock = build("inbox"), build("stock")
    assert isinstance(stock.app, StockApp) and not isinstance(stock.app, App)
    assert stock.app.transport.Consumer is not runtime.Consumer
    assert isinstance(stock.app.monitor, LeanMonitor)
    assert set(stock.processors) == set(inbox.processors)
    subscribed = {t for agent in stock.app.agents.values() for t in agent.channel.topics}
    assert subscribed == set(inbox.app.inboxes)


def test_partitions_never_committed_are_read_again_from_their_first_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiokafka's seek_to_committed leaves a partition without a committed offset (or at 0)
    where its last fetch put it; the runtime's consumer seeks a source partition to its
    first record. A table's changelog is left where its recovery put it (its offsets are the
    table's, never committed by the group): reading a standby's changelog again from its
    first record would take its copy back in time."""
    committed = {TP("t", 0): 42, TP("t", 1): None, TP("t", 2): 0, TP("t-changelog", 0): None}
    seeks: list[tuple[Any, int]] = []

    async def upstream_seek_to_committed(self: Any) -> dict[Any, int | None]:
        return committed

    async def seek_wait(starts: dict[Any, int]) -> None:
        # the drain loop knows where each partition starts before the seek runs
        assert all(consumer.order.expected(tp) == offset for tp, offset in starts.items())
        seeks.extend(starts.items())

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        return {tp: 7 for tp in tps}

    monkeypatch.setattr(runtime.upstream.Consumer, "seek_to_committed", upstream_seek_to_committed)
    consumer = runtime.Consumer.__new__(runtime.Consumer)
    consumer.app = SimpleNamespace(tables=SimpleNamespace(changelog_topics={"t-changelog"}))
    consumer.order = DeliveryOrder()
    consumer.earliest_offsets = earliest_offsets  # type: ignore[method-assign]
    consumer.seek_wait = seek_wait  # type: ignore[method-assign]

    assert run(consumer.seek_to_committed()) == committed
    # every source partition is sought once more, in aiokafka's thread (records fetched
    # while its start was unknown are fetched again), a changelog partition never
    assert sorted(seeks) == [(TP("t", 0), 42), (TP("t", 1), 7), (TP("t", 2), 7)]
    # and the drain loop delivers each source partition from there on, nothing before
    assert [consumer.order.expected(TP("t", p)) for p in range(3)] == [42, 7, 7]
    assert consumer.order.expected(TP("t-changelog", 0)) is None


def test_aiokafka_still_leaves_never_committed_partitions_where_they_are() -> None:
    """Why the runtime's consumer overrides seek_to_committed: if aiokafka starts seeking
    partitions without a committed offset itself, the override can go."""
    from aiokafka import AIOKafkaConsumer

    source = inspect.getsource(AIOKafkaConsumer.seek_to_committed)
    assert "if offset and offset > 0:" in source

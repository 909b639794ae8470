"""The pull poller against a hostile or broken change feed (issue 8, item 2), no broker.

Each test is a reproduction: before the fix the connector exited, saved an empty cursor,
re-published in a tight loop or re-dead-lettered the same record on every poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cityops.contract import DeadLetter
from cityops.settings import KafkaSettings, Settings
from connectors.adapters.pull.cursor import Position, cursor_key, record_position
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.testing.fakes import FakeProducer
from connectors.testing.harness import wait_until


@pytest.fixture
def feed() -> Iterator[FakeFeed]:
    feed = FakeFeed()
    yield feed
    feed.close()


def make_connector(feed: FakeFeed, state_dir: Path, **config: Any) -> DossierConnector:
    settings = Settings(kafka=KafkaSettings(namespace="poll"), state_dir=state_dir)
    values = {
        "source": "egov",
        "base_url": feed.url,
        "poll_interval": 0.01,
        "page_size": 3,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        **config,
    }
    return DossierConnector(values, settings, producer=FakeProducer())


@contextmanager
def polling(connector: DossierConnector) -> Iterator[FakeProducer]:
    """The poller in a thread; on exit it must still be running, then stop cleanly."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            connector.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield connector.publisher._producer  # type: ignore[misc]
    finally:
        alive = thread.is_alive()
        connector.stop()
        thread.join(10)
    assert not errors, f"the poller died: {errors[0]!r}"
    assert alive, "the poller exited on its own"


def published(producer: FakeProducer) -> list[bytes]:
    return [s.value for s in producer.sent if s.topic.endswith("dossier.v1")]


def dead_letters(producer: FakeProducer) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(s.value) for s in producer.to("deadletter.v1")]


def records(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        sync_record(f"HS-{i}", 2, f"202503030{i % 10}{i // 10:02d}00")
        for i in range(start, start + count)
    ]


def test_truncated_body_is_backed_off_not_an_exit(feed: FakeFeed, tmp_path: Path) -> None:
    feed.truncate_next(2)
    feed.add(records(3))
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: len(published(producer)) == 3, "the records after the cut")
    assert connector.metrics.rejected["source_error"] == 2


def test_deeply_nested_page_is_backed_off_not_an_exit(feed: FakeFeed, tmp_path: Path) -> None:
    feed.fail_next(1, 200, b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    feed.add(records(2))
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: len(published(producer)) == 2, "the records after the deep page")
    assert connector.metrics.rejected["source_error"] == 1


def test_deep_record_in_a_page_is_dead_lettered_once(feed: FakeFeed, tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    feed.add([*records(1), sync_record("HS-9", 2, "20250303090000", GhiChu=deep)])
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: dead_letters(producer), "the deep record dead-lettered")
        time.sleep(0.2)
    assert len(published(producer)) == 1
    assert [d.reason for d in dead_letters(producer)] == ["too_deep: over 32 levels"]


def test_year_one_change_time_is_dead_lettered_once_and_the_feed_goes_on(
    feed: FakeFeed, tmp_path: Path
) -> None:
    year_one = sync_record("HS-1", 2, "00010101000000")
    good = records(2, start=5)
    feed.serve_next({"items": [good[0], year_one, good[1]], "has_more": False})
    feed.add([*good, *records(2, start=7)])
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: len(published(producer)) == 4, "every good record")
    (letter,) = dead_letters(producer)
    assert letter.reason.startswith("date_out_of_range: NgayCapNhat is outside")
    restarted = make_connector(feed, tmp_path)
    feed.add(records(1, start=9))
    with polling(restarted) as producer:
        wait_until(lambda: len(published(producer)) == 1, "the record after the restart")
    assert connector.checkpoints.load() == {"updated_since": "20250303090000", "after_id": "HS-9"}


def test_last_item_without_a_cursor_never_saves_an_empty_cursor(
    feed: FakeFeed, tmp_path: Path
) -> None:
    no_cursor = sync_record("HS-2", 2, "")
    feed.serve_next({"items": [*records(2), no_cursor], "has_more": False})
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: len(dead_letters(producer)) == 1, "the record without a cursor")
        time.sleep(0.1)
    assert connector.checkpoints.load() == {"updated_since": "20250303010000", "after_id": "HS-1"}


def test_source_ignoring_the_cursor_is_warned_counted_and_backed_off(
    feed: FakeFeed, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed.ignore_cursor = True
    feed.add(records(3))
    connector = make_connector(feed, tmp_path, backoff_initial=0.05, backoff_max=0.2)
    with polling(connector) as producer:
        wait_until(lambda: len(published(producer)) == 3, "the first page")
        polls_before = feed.requests
        time.sleep(1.0)
    assert len(published(producer)) == 3, "nothing is published twice"
    assert feed.requests - polls_before <= 25, "backed off, not a tight loop"
    assert connector.metrics.source_problems["no_progress"] >= 1
    assert connector.metrics.source_problems["behind_cursor"] >= 1
    assert "did not move the position" in caplog.text


def test_cursor_going_backwards_is_refused_with_a_warning(
    feed: FakeFeed, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed.add(records(2, start=5))
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: len(published(producer)) == 2, "the first records")
        feed.serve_next({"items": records(1), "has_more": False})
        wait_until(lambda: connector.metrics.source_problems["behind_cursor"] == 1, "refusal")
    assert len(published(producer)) == 2
    assert connector.checkpoints.load() == {"updated_since": "20250303060000", "after_id": "HS-6"}
    assert "at or before the position" in caplog.text


def test_scalar_items_are_dead_lettered_once_not_on_every_poll(
    feed: FakeFeed, tmp_path: Path
) -> None:
    page = {"items": [*records(1), 7, "x"], "has_more": False}
    feed.serve_next(*[page] * 5)
    connector = make_connector(feed, tmp_path)
    with polling(connector) as producer:
        wait_until(lambda: feed.requests >= 6, "the page served five times")
    assert len(dead_letters(producer)) == 2
    assert len(published(producer)) == 1


def test_positions_only_from_readable_times_and_ids() -> None:
    assert cursor_key("2025-03-03T08:00:00") == "20250303080000"
    for bad in ("", "00010101000000", "garbage", None, True, 2.5, "99991231235959x"):
        assert cursor_key(bad) is None, bad
    good = {"NgayCapNhat": "20250303080000", "MaHoSo": "A"}
    assert record_position(good, "NgayCapNhat", "MaHoSo") == Position("20250303080000", "A")
    for bad_id in ("", " ", None, True, ["A"], "x" * 300):
        record = {**good, "MaHoSo": bad_id}
        assert record_position(record, "NgayCapNhat", "MaHoSo") is None, bad_id
    assert Position.from_checkpoint({"updated_since": "", "after_id": ""}) is None

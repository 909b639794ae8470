"""The sink's buffering and retry protocol, against a fake client (no server needed)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cityops.db.tables import CONSUMER_LAG, DEADLETTERS
from streams.sink import ClickHouseSink, SinkClosed


class FlakyClient:
    """Fails while the shared `outage` counter is positive, then records what it was sent."""

    def __init__(self, log: list[tuple[str, list[list[Any]]]], outage: list[int]) -> None:
        self.log = log
        self.outage = outage

    def execute(self, query: str, columns: list[list[Any]], **kwargs: Any) -> None:
        assert kwargs.get("columnar") is True
        if self.outage[0] > 0:
            self.outage[0] -= 1
            raise ConnectionRefusedError("down")
        self.log.append((query, columns))

    def disconnect(self) -> None:
        pass


def lag(i: int) -> tuple[Any, ...]:
    return ("w", "t", i, 1, 2, 3, None)


def make_sink(failures: int = 0, **kwargs: Any) -> tuple[ClickHouseSink, list[Any]]:
    log: list[tuple[str, list[list[Any]]]] = []
    outage = [failures]  # spans reconnects: the sink builds a new client after each failure

    def factory() -> FlakyClient:
        return FlakyClient(log, outage)

    options = {"backoff_initial": 0.001, "backoff_max": 0.002, **kwargs}
    return ClickHouseSink(factory, "cityops_test", **options), log


def test_flush_writes_one_columnar_insert_per_table() -> None:
    sink, log = make_sink()
    sink.extend(CONSUMER_LAG, [lag(0), lag(1)])
    assert sink.flush() == 2
    query, columns = log[0]
    assert query.startswith("INSERT INTO cityops_test.consumer_lag (worker, topic, partition")
    assert columns[2] == [0, 1]  # the partition column
    assert sink.buffered() == 0 and sink.metrics().rows_inserted == {"consumer_lag": 2}


def test_flush_is_due_at_max_rows() -> None:
    sink, _ = make_sink(max_rows=3, max_age=3600)
    assert not sink.add(CONSUMER_LAG, lag(0))
    assert not sink.add(CONSUMER_LAG, lag(1))
    assert sink.add(CONSUMER_LAG, lag(2))
    assert sink.maybe_flush() == 3 and not sink.flush_due()


def test_flush_is_due_at_max_age() -> None:
    sink, _ = make_sink(max_age=0)
    assert not sink.flush_due()  # nothing buffered, nothing due
    assert sink.add(CONSUMER_LAG, lag(0))


def test_a_row_of_the_wrong_width_is_refused_at_add() -> None:
    sink, _ = make_sink()
    with pytest.raises(ValueError, match="deadletters"):
        sink.add(DEADLETTERS, ("too", "short"))


def test_failures_turn_into_retries_not_losses() -> None:
    sink, log = make_sink(failures=5)
    sink.extend(CONSUMER_LAG, [lag(i) for i in range(4)])
    assert sink.flush() == 4
    assert len(log) == 1 and log[0][1][2] == [0, 1, 2, 3]
    metrics = sink.metrics()
    assert metrics.insert_errors == 5 and "down" in metrics.last_error


def test_stop_during_an_outage_keeps_rows_buffered_in_order() -> None:
    sink, log = make_sink(failures=10**9, backoff_initial=0.01, backoff_max=0.01)
    sink.extend(CONSUMER_LAG, [lag(0), lag(1)])
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            sink.flush()
        except SinkClosed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    while sink.metrics().insert_errors < 2:
        threading.Event().wait(0.01)
    sink.add(CONSUMER_LAG, lag(2))  # arrives while the flush is stuck
    sink.close()
    thread.join()
    assert outcome and isinstance(outcome[0], SinkClosed)
    assert log == []
    assert sink.buffered() == 3
    assert [r[2] for r in sink._buffers["consumer_lag"]] == [0, 1, 2]

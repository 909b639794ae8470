"""The sink's buffering and retry protocol, against a fake client (no server needed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import Any

import pytest
from clickhouse_driver import errors

from cityops.db.tables import CONSUMER_LAG, DEADLETTERS
from streams.sink import ClickHouseSink, SinkClosed
from streams.sink.poison import describe, is_data_error
from streams.sink.tracking import recording_tables


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
    # consumer_lag lives in the reader's database (v_pipeline_health reads it).
    assert query.startswith("INSERT INTO cityops_test_api.consumer_lag (worker, topic, partition")
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
    assert [r[2] for r in sink._tables["consumer_lag"].rows] == [0, 1, 2]


# -- poison: a row ClickHouse cannot store never blocks the others (issue 8, item 1) ---------

BAD_LAG = -1  # the marker the fake client refuses, as the driver refuses 2200 in a DateTime


class PoisonClient:
    """Refuses a block containing a marked row the way clickhouse-driver does (a data error);
    `outage` makes it fail transiently first, `refuse` overrides the error raised."""

    def __init__(self, log: list[list[list[Any]]], refuse: Exception | None = None) -> None:
        self.log = log
        self.refuse = refuse

    def execute(self, query: str, columns: list[list[Any]], **kwargs: Any) -> None:
        if BAD_LAG in columns[3]:
            raise self.refuse or errors.TypeMismatchError(
                "Type mismatch in VALUES section. Repeat query with types_check=True for "
                f"detailed info. Column lag: value {BAD_LAG} secret-citizen-data out of range"
            )
        self.log.append(columns)

    def disconnect(self) -> None:
        pass


def bad(i: int) -> tuple[Any, ...]:
    return ("w", "t", i, BAD_LAG, 2, 3, None)


def poison_sink(log: list[list[list[Any]]], refuse: Exception | None = None) -> ClickHouseSink:
    return ClickHouseSink(
        lambda: PoisonClient(log, refuse), "db", backoff_initial=0.001, backoff_max=0.002
    )


def written_partitions(log: list[list[list[Any]]]) -> list[int]:
    return sorted(p for columns in log for p in columns[2])


def test_one_out_of_range_row_is_rejected_and_every_other_row_written() -> None:
    log: list[list[list[Any]]] = []
    sink = poison_sink(log)
    rows = [lag(i) for i in range(100)]
    rows[37] = bad(37)
    originals = [f"record-{i}".encode() for i in range(100)]
    sink.extend(CONSUMER_LAG, rows, originals=originals, topic="ns.some.topic")
    assert sink.flush() == 99
    assert written_partitions(log) == [i for i in range(100) if i != 37]
    (rejected,) = sink.take_rejected()
    assert rejected.table == "consumer_lag" and rejected.row == bad(37)
    assert rejected.original == b"record-37" and rejected.topic == "ns.some.topic"
    assert "consumer_lag" in rejected.reason and "column lag" in rejected.reason
    assert "secret" not in rejected.reason and str(BAD_LAG) not in rejected.reason
    assert sink.take_rejected() == []  # handed out once
    assert sink.metrics().rows_rejected == {"consumer_lag": 1} and sink.buffered() == 0


def test_bisection_finds_every_bad_row_in_few_attempts() -> None:
    log: list[list[list[Any]]] = []
    sink = poison_sink(log)
    bad_at = {0, 500, 501, 999}
    sink.extend(CONSUMER_LAG, [bad(i) if i in bad_at else lag(i) for i in range(1000)])
    assert sink.flush() == 996
    assert {r.row[2] for r in sink.take_rejected()} == bad_at
    assert len(log) + sink.metrics().insert_errors < 4 * 2 * 10 + 1  # not one insert per row


def test_a_server_data_error_is_bisected_but_an_overload_is_retried() -> None:
    data = errors.ServerException(
        "Cannot parse datetime", code=errors.ErrorCodes.CANNOT_PARSE_DATETIME
    )
    overload = errors.ServerException("Memory limit", code=errors.ErrorCodes.MEMORY_LIMIT_EXCEEDED)
    assert is_data_error(data) and not is_data_error(overload)
    assert is_data_error(errors.TypeMismatchError("x")) and is_data_error(AttributeError("x"))
    for transient in (ConnectionRefusedError(), errors.NetworkError("x"), EOFError()):
        assert not is_data_error(transient)
    log: list[list[list[Any]]] = []
    sink = poison_sink(log, refuse=data)
    sink.extend(CONSUMER_LAG, [lag(0), bad(1), lag(2)])
    assert sink.flush() == 2
    (rejected,) = sink.take_rejected()
    assert "41 (CANNOT_PARSE_DATETIME)" in rejected.reason and "Cannot parse" not in rejected.reason


def test_rows_without_an_original_are_dead_lettered_as_json_of_the_row() -> None:
    log: list[list[list[Any]]] = []
    sink = poison_sink(log)
    sink.extend(CONSUMER_LAG, [bad(4)])
    sink.flush()
    (rejected,) = sink.take_rejected()
    assert json.loads(rejected.original_bytes(CONSUMER_LAG))["partition"] == 4


def test_a_table_in_trouble_does_not_hold_a_flush_of_another_table() -> None:
    written: list[str] = []

    class OneTableDown:
        def execute(self, query: str, columns: list[list[Any]], **kwargs: Any) -> None:
            if ".consumer_lag " in query:
                raise ConnectionResetError("this table's shard is down")
            written.append(query.split()[2])

        def disconnect(self) -> None:
            pass

    sink = ClickHouseSink(OneTableDown, "db", backoff_initial=0.01, backoff_max=0.01)
    sink.extend(CONSUMER_LAG, [lag(0)])
    stuck = threading.Thread(target=lambda: _flush_until_closed(sink, {"consumer_lag"}))
    stuck.start()
    while sink.metrics().insert_errors < 2:
        threading.Event().wait(0.01)
    sink.extend(DEADLETTERS, [("s", "r", "worker", None, None, b"", None)])
    assert sink.flush({"deadletters"}) == 1  # returns while consumer_lag still retries
    assert written == ["db.deadletters"] and stuck.is_alive()
    waiting = sink.metrics().waiting_seconds
    assert set(waiting) == {"consumer_lag"}
    threading.Event().wait(0.05)
    assert sink.metrics().stuck(0.01) == ["consumer_lag"]
    sink.close()
    stuck.join()
    assert sink.buffered() == 1  # nothing lost: still there for the next worker


def _flush_until_closed(sink: ClickHouseSink, tables: set[str]) -> None:
    with contextlib.suppress(SinkClosed):
        sink.flush(tables)


def test_a_healthy_sink_is_never_stuck() -> None:
    sink, _ = make_sink()
    sink.extend(CONSUMER_LAG, [lag(0)])
    assert sink.metrics().stuck(60.0) == [] and set(sink.metrics().waiting_seconds) == {
        "consumer_lag"
    }
    sink.flush()
    assert sink.metrics().waiting_seconds == {} and sink.metrics().stuck(0.0) == []


def test_drain_ends_a_retrying_flush_and_keeps_its_rows() -> None:
    sink, log = make_sink(failures=10**9, backoff_initial=60, backoff_max=60)
    sink.extend(CONSUMER_LAG, [lag(0), lag(1)])
    outcome: list[BaseException] = []
    thread = threading.Thread(target=lambda: _record_closed(sink, outcome))
    thread.start()
    while sink.metrics().insert_errors < 1:
        threading.Event().wait(0.01)
    sink.drain()  # what the worker does on SIGTERM; the 60 s backoff is cut short
    thread.join(timeout=10)
    assert not thread.is_alive() and isinstance(outcome[0], SinkClosed)
    assert log == [] and sink.buffered() == 2


def _record_closed(sink: ClickHouseSink, outcome: list[BaseException]) -> None:
    try:
        sink.flush()
    except SinkClosed as exc:
        outcome.append(exc)


def test_a_draining_sink_still_writes_while_clickhouse_answers() -> None:
    sink, log = make_sink()
    sink.drain()
    sink.extend(CONSUMER_LAG, [lag(0)])
    assert sink.flush() == 1 and len(log) == 1


def test_describe_names_the_error_and_column_never_the_message() -> None:
    exc = errors.TypeMismatchError("Column occurred_at: 'I' format requires 0 <= number")
    assert describe(exc) == "TypeMismatchError 53 (TYPE_MISMATCH) in column occurred_at"
    assert describe(ValueError("Nguyen Van A")) == "ValueError"


def test_each_task_records_only_the_tables_it_wrote() -> None:
    sink, _ = make_sink()

    async def processor(table: Any, seen: list[set[str]]) -> None:
        with recording_tables() as tables:
            await asyncio.sleep(0)
            sink.extend(table, [])
            await asyncio.sleep(0)  # the other task runs and writes its table in between
        seen.append(tables)

    async def both() -> tuple[list[set[str]], list[set[str]]]:
        a: list[set[str]] = []
        b: list[set[str]] = []
        await asyncio.gather(processor(CONSUMER_LAG, a), processor(DEADLETTERS, b))
        return a, b

    a, b = asyncio.run(both())
    assert a == [{"consumer_lag"}] and b == [{"deadletters"}]
    sink.extend(CONSUMER_LAG, [])  # outside any recording: nothing to note, no error

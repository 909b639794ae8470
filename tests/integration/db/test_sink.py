"""The sink against the real ClickHouse: an unreachable server is a wait, never a loss.

Nothing shared is stopped: the sink is pointed at a loopback port where nothing listens,
then a small proxy this test owns starts listening there and forwards to the real server.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from datetime import UTC, datetime

import pytest

from cityops.db.client import make_client
from cityops.db.tables import CONSUMER_LAG, DOSSIER_EVENTS, qualified
from cityops.settings import Settings
from streams.sink import ClickHouseSink, SinkClosed, consumer_lag_row, raw_row

from .conftest import DOSSIER_EVENTS as EVENTS


class _Forward(socketserver.BaseRequestHandler):
    target: tuple[str, int]

    def handle(self) -> None:
        upstream = socket.create_connection(self.target)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join()
        upstream.close()


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: object, what: str) -> None:
    """Poll a condition (not a timing assertion: the deadline only bounds a hung test)."""
    done = threading.Event()
    for _ in range(6000):
        if condition():  # type: ignore[operator]
            return
        done.wait(0.01)
    pytest.fail(f"gave up waiting for {what}")


def count(settings: Settings, table: str) -> int:
    client = make_client(settings.clickhouse)
    try:
        where = qualified(table, settings.clickhouse.database)
        return int(client.execute(f"SELECT count() FROM {where}")[0][0])
    finally:
        client.disconnect()


def test_sink_writes_batches(migrated: Settings) -> None:
    sink = ClickHouseSink.from_settings(migrated.clickhouse, max_rows=4)
    for offset, event in enumerate(EVENTS):
        spec, row = raw_row(event, partition=1, offset=offset)
        if sink.add(spec, row):
            sink.flush()
    sink.flush()
    sink.close()
    assert count(migrated, DOSSIER_EVENTS.name) == len(EVENTS)
    metrics = sink.metrics()
    assert metrics.rows_inserted == {DOSSIER_EVENTS.name: len(EVENTS)}
    assert metrics.insert_errors == 0 and metrics.buffered_rows == 0


def test_unreachable_clickhouse_is_retried_until_it_answers(migrated: Settings) -> None:
    port = free_port()
    through_proxy = migrated.clickhouse.model_copy(update={"port": port})
    sink = ClickHouseSink(
        lambda: make_client(through_proxy, connect_timeout=1),
        migrated.clickhouse.database,
        backoff_initial=0.05,
        backoff_max=0.2,
    )
    now = datetime.now(UTC)
    rows = [consumer_lag_row("w", "topic", p, 0, 10, at=now) for p in range(50)]
    sink.extend(CONSUMER_LAG, rows)
    result: list[object] = []
    flusher = threading.Thread(target=lambda: result.append(sink.flush()))
    flusher.start()
    wait_for(lambda: sink.metrics().insert_errors >= 3, "failed attempts")
    assert flusher.is_alive() and result == []  # still waiting, nothing claimed written

    _Forward.target = migrated.clickhouse.hosts[0]
    proxy = Proxy(("127.0.0.1", port), _Forward)
    serving = threading.Thread(target=proxy.serve_forever, daemon=True)
    serving.start()
    try:
        flusher.join(timeout=120)
        assert result == [50]
        assert count(migrated, CONSUMER_LAG.name) == 50
        sink.add(CONSUMER_LAG, consumer_lag_row("w", "topic", 99, 0, 1, at=now))
        assert sink.flush() == 1  # and the connection keeps working afterwards
    finally:
        sink.close()
        proxy.shutdown()
        proxy.server_close()
    assert sink.metrics().rows_inserted == {CONSUMER_LAG.name: 51}


def test_close_during_an_outage_raises_and_keeps_the_rows(migrated: Settings) -> None:
    unreachable = migrated.clickhouse.model_copy(update={"port": free_port()})
    sink = ClickHouseSink(
        lambda: make_client(unreachable, connect_timeout=1),
        migrated.clickhouse.database,
        backoff_initial=0.05,
        backoff_max=0.1,
    )
    sink.add(CONSUMER_LAG, consumer_lag_row("w", "topic", 0, 0, 10))
    errors: list[BaseException] = []

    def flush() -> None:
        try:
            sink.flush()
        except SinkClosed as exc:
            errors.append(exc)

    flusher = threading.Thread(target=flush)
    flusher.start()
    wait_for(lambda: sink.metrics().insert_errors >= 1, "a failed attempt")
    sink.close()
    flusher.join(timeout=60)
    assert len(errors) == 1 and sink.buffered() == 1
    assert count(migrated, CONSUMER_LAG.name) == 0


def test_a_year_2200_row_is_rejected_and_the_rest_of_the_batch_written(migrated: Settings) -> None:
    """Issue 8, item 1: the row the contract should have stopped (here built without it)
    fails with TypeMismatchError; it is found, set aside, and every other row goes in."""
    sink = ClickHouseSink.from_settings(migrated.clickhouse)
    rows, originals = [], []
    for offset, event in enumerate(EVENTS):
        if offset == 2:  # model_copy skips validation, like a record from a lax producer
            event = event.model_copy(update={"occurred_at": datetime(2200, 1, 1, tzinfo=UTC)})
        rows.append(raw_row(event, partition=0, offset=offset)[1])
        originals.append(event.to_json_bytes())
    sink.extend(DOSSIER_EVENTS, rows, originals=originals, topic="cityops.dossier.v1")
    sink.add(CONSUMER_LAG, consumer_lag_row("w", "topic", 0, 0, 10))
    try:
        assert sink.flush() == len(EVENTS) - 1 + 1
    finally:
        sink.close()
    assert count(migrated, DOSSIER_EVENTS.name) == len(EVENTS) - 1
    assert count(migrated, CONSUMER_LAG.name) == 1
    (rejected,) = sink.take_rejected()
    assert rejected.original == originals[2] and rejected.topic == "cityops.dossier.v1"
    assert rejected.reason == (
        "sink: ClickHouse cannot store this row of dossier_events: "
        "TypeMismatchError 53 (TYPE_MISMATCH) in column occurred_at"
    )

"""The privacy sweep: a citizen id, a phone, an e-mail and a name planted in every field of
every source format (valid and invalid records; pull pages, webhooks, spreadsheets) go
through the real connectors, broker, a worker process and ClickHouse, and none of them is
found in any topic (dead letters and the worker's changelogs included), any table, or any
connector or worker log."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cityops.contract import DeadLetter
from cityops.db.databases import api_database
from cityops.kafka import make_admin, make_producer
from cityops.settings import Settings
from connectors.adapters.file import import_file
from connectors.adapters.push.sender import post_signed
from connectors.dossier.connector import DossierConnector
from connectors.payment.connector import PaymentConnector
from connectors.portal.connector import PortalConnector
from connectors.testing.harness import Harness, read_topic
from tests.integration.privacy.planted import (
    PLANTED,
    contract_records,
    dossier_records,
    webhook_bodies,
    write_csv,
    write_xlsx,
)
from tests.support.pipeline import wait_until


def leaks(blob: bytes | str) -> list[str]:
    data = blob if isinstance(blob, bytes) else blob.encode("utf-8", "replace")
    return [value for value in PLANTED if value.encode("utf-8") in data]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def connector_logs() -> Iterator[_Capture]:
    """Everything the connectors log, at the level they run with plus their own debug."""
    handler = _Capture()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(exc_info)s"))
    root, cityops = logging.getLogger(), logging.getLogger("cityops")
    levels = (root.level, cityops.level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    cityops.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        cityops.setLevel(levels[1])


def pull_pages(settings: Settings) -> int:
    """The dossier connector polls pages of planted national-portal records."""
    harness = Harness(DossierConnector, settings)
    harness.config = {**harness.config, "page_size": 50}
    records = dossier_records()
    # A planted change time ("001089012345") sorts before any position a poller may start
    # from (a time, since issue 8), so a feed never serves that record: it cannot reach the
    # pipeline this way. The spreadsheet paths carry the same record.
    cursor = DossierConnector.cursor_field
    served = [
        r for r in records if str(r.get(cursor, "")) >= harness.config.get("start_from", "1970")
    ]
    try:
        with harness.running() as connector:
            harness.sample_source.feed.add(records)  # type: ignore[attr-defined]
            harness.wait_acked(connector, len(served))
    finally:
        harness.close()
    return len(served)


def webhooks(settings: Settings, cls: type, family: str) -> int:
    """Signed posts of planted contract JSON; the answers (422 reasons) must not leak either."""
    harness = Harness(cls, settings)
    bodies = webhook_bodies(family)
    answers = []
    with harness.running() as connector:
        url = f"http://127.0.0.1:{connector.bound_port}/webhooks/{harness.source}"
        for body in bodies:
            status, answer = post_signed(url, harness.secret, body)
            assert status in (200, 422), answer
            answers.append(json.dumps(answer, ensure_ascii=False))
        bogus_source = url.replace(harness.source, PLANTED[0])
        answers.append(str(post_signed(bogus_source, harness.secret, bodies[0])))
        # Answered only after Kafka acknowledged what each request published (its events, or
        # one dead letter for a body with no valid event): nothing is in flight any more.
        published = connector.metrics.sent
    assert published >= len(bodies) - 1, "every body but the replayed one published something"
    assert not leaks("\n".join(answers)), "a webhook answer quoted a planted value"
    return published


def spreadsheets(settings: Settings, tmp_path: Path) -> int:
    """Backfills: CSV and Excel of dossier records, CSV of payments, JSON lines of portal."""
    files = [
        (DossierConnector, write_csv(tmp_path / "dossiers.csv", dossier_records())),
        (DossierConnector, write_xlsx(tmp_path / "dossiers.xlsx", dossier_records())),
        (PaymentConnector, write_csv(tmp_path / "payments.csv", contract_records("payment"))),
    ]
    portal = tmp_path / "portal.jsonl"
    portal.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in contract_records("portal")),
        encoding="utf-8",
    )
    files.append((PortalConnector, portal))
    rows = 0
    for cls, path in files:
        # One source per file: dead letters are deduplicated per (source, second, original).
        config = {"source": f"sweep-file-{path.name.replace('.', '-')}"}
        connector = cls(config, settings)
        try:
            summary = import_file(connector, path, resume=False)
        finally:
            connector.publisher.close()
        rows += summary.published + summary.rejected_total
    return rows


def _topic_blobs(settings: Settings) -> dict[str, list[bytes]]:
    admin = make_admin(settings.kafka)
    try:
        mine = sorted(t for t in admin.list_topics() if settings.kafka.namespace in t)
    finally:
        admin.close()
    blobs: dict[str, list[bytes]] = {}
    for topic in mine:
        records = read_topic(settings.kafka, topic)
        blobs[topic] = [(r.key or b"") + b"\x00" + (r.value or b"") for r in records]
        for record in records:
            if "deadletter" in topic:
                letter = DeadLetter.model_validate_json(record.value)
                blobs[topic].append(base64.b64decode(letter.original_b64))
    return blobs


def _table_blobs(ch: Any, database: str) -> dict[str, bytes]:
    tables = ch.execute(
        "SELECT name FROM system.tables WHERE database = %(db)s AND engine NOT LIKE '%%View%%'",
        {"db": database},
    )
    blobs = {}
    for (table,) in tables:
        columns = ch.execute(
            "SELECT name, type FROM system.columns WHERE database = %(db)s AND table = %(t)s",
            {"db": database, "t": table},
        )
        # Aggregate states (the aggregate tables) as their values: an argMax keeps a string.
        select = ", ".join(
            f"finalizeAggregation(`{name}`)"
            if kind.startswith("AggregateFunction")
            else f"`{name}`"
            for name, kind in columns
        )
        rows = ch.execute(
            f"SELECT {select} FROM {database}.{table}", settings={"strings_as_bytes": True}
        )
        blobs[table] = b"\n".join(
            b"\x00".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
            for row in rows
        )
    return blobs


def test_no_planted_value_reaches_a_topic_a_table_or_a_log(
    pipeline_settings: Settings, start_worker: Any, ch: Any, tmp_path: Path
) -> None:
    settings = pipeline_settings
    database = settings.clickhouse.database
    worker = start_worker()
    with connector_logs() as logs:
        sent = pull_pages(settings)
        sent += webhooks(settings, PaymentConnector, "payment")
        sent += webhooks(settings, PortalConnector, "portal")
        sent += spreadsheets(settings, tmp_path)

    namespace = settings.kafka.namespace
    letters = read_topic(settings.kafka, f"{namespace}.cityops.deadletter.v1")
    events = sum(
        len(read_topic(settings.kafka, f"{namespace}.cityops.{family}.v1"))
        for family in ("dossier", "payment", "portal")
    )
    assert len(letters) + events == sent, "every planted record was published or dead-lettered"
    assert events and len(letters) > events, "both valid and invalid records went through"

    def counts() -> tuple[int, int]:
        letters_in = ch.execute(f"SELECT count() FROM {database}.deadletters")[0][0]
        events_in = sum(
            ch.execute(f"SELECT count() FROM {database}.{table}")[0][0]
            for table in ("dossier_events", "payment_events", "portal_events")
        )
        return letters_in, events_in

    wait_until(
        lambda: counts() >= (len(letters), events),
        timeout=120,
        describe=lambda: f"stored {counts()} of {(len(letters), events)}",
    )
    assert worker.stop() == 0, worker.log_tail()

    found = {
        f"topic {topic}": leaks(b"\n".join(blobs))
        for topic, blobs in _topic_blobs(settings).items()
    }
    assert any("changelog" in name for name in found), sorted(found)
    for where in (database, api_database(database)):  # the reader's database too
        found |= {f"table {t}": leaks(blob) for t, blob in _table_blobs(ch, where).items()}
    found["connector logs"] = leaks("\n".join(logs.lines))
    found["worker log"] = leaks(worker.log_path.read_bytes())
    assert logs.lines and worker.log_path.stat().st_size > 0
    assert {where: values for where, values in found.items() if values} == {}


def test_what_a_worker_cannot_decode_is_stored_redacted(
    pipeline_settings: Settings, start_worker: Any, ch: Any
) -> None:
    """Another producer writes planted junk straight into a source topic and the dead-letter
    topic: the worker stores it redacted, and logs none of it (the source topics themselves
    hold what that producer wrote)."""
    settings = pipeline_settings
    namespace, database = settings.kafka.namespace, settings.clickhouse.database
    junk = [json.dumps(r, ensure_ascii=False).encode() for r in contract_records("payment")[:12]]
    junk = [b.replace(b'"schema_version": 1', b'"schema_version": 9') for b in junk]
    junk += [f"{{not json {PLANTED[0]} {PLANTED[3]}".encode(), json.dumps(PLANTED).encode()]
    producer = make_producer(settings.kafka)
    for value in junk:
        producer.send(f"{namespace}.cityops.payment.v1", key=PLANTED[0].encode(), value=value)
    producer.send(f"{namespace}.cityops.deadletter.v1", value=json.dumps(PLANTED).encode())
    producer.flush()
    producer.close()
    worker = start_worker()
    wait_until(
        lambda: ch.execute(f"SELECT count() FROM {database}.deadletters")[0][0] >= len(junk) + 1,
        timeout=120,
        describe=worker.log_tail,
    )
    assert worker.stop() == 0, worker.log_tail()
    stored = _table_blobs(ch, database)["deadletters"]
    assert stored.count(b"\x00worker\x00") >= len(junk), "dead-lettered by the worker"
    by_worker = [
        r
        for r in read_topic(settings.kafka, f"{namespace}.cityops.deadletter.v1")
        if b'"stage":"worker"' in (r.value or b"")
    ]
    assert len(by_worker) == len(junk)
    assert leaks(stored) == []
    assert leaks(b"\n".join(r.value for r in by_worker)) == []
    assert leaks(worker.log_path.read_bytes()) == []

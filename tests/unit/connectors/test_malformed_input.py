"""Property: whatever garbage reaches an adapter, it does not crash, each bad record is
dead-lettered (or the request refused) with a clear reason, and good records around it pass.

Runs without Kafka (a fake producer records sends); the HTTP sides are real local servers.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityops.contract import DeadLetter, DossierEvent, PaymentEvent
from cityops.settings import KafkaSettings, Settings
from connectors.adapters.file import import_file
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.adapters.push.sender import post_signed
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.payment.connector import PaymentConnector
from connectors.testing.fakes import FakeProducer
from connectors.testing.harness import wait_until
from connectors.testing.samples import contract_event
from tests.support.hostile import BAD_CONTRACT_CHANGES, BAD_DOSSIER_CHANGES, BAD_FED_CHANGES, mixed

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECRET = "bank-a-secret-of-at-least-32-bytes"


def dossier_batch(changes: list[dict[str, Any] | None]) -> list[tuple[dict[str, Any], bool]]:
    """Records with unique ids and times; each with its expected fate (True = good)."""
    batch = []
    for i, change in enumerate(changes):
        record = sync_record(f"HS-{i:04d}", 2, f"2025030308{i // 60:02d}{i % 60:02d}")
        record.update(change or {})
        batch.append((record, change is None))
    return batch


def payment_batch(changes: list[dict[str, Any] | None]) -> list[tuple[bytes, bool]]:
    batch = []
    for i, change in enumerate(changes):
        record = json.loads(contract_event("payment", "bank-a", i).to_json_bytes())
        record.update(change or {})
        batch.append((json.dumps(record).encode(), change is None))
    return batch


def make_settings(tmp_path: Path) -> Settings:
    """A state dir per example: hypothesis reuses `tmp_path`, checkpoints must not leak."""
    state_dir = tmp_path / f"state-{uuid.uuid4().hex}"
    return Settings(kafka=KafkaSettings(namespace="prop"), state_dir=state_dir)


def assert_fates(
    producer: FakeProducer, expected_good: int, expected_bad: int, model: type
) -> None:
    published = [s for s in producer.sent if not s.topic.endswith("deadletter.v1")]
    letters = [DeadLetter.model_validate_json(s.value) for s in producer.to("deadletter.v1")]
    assert len(published) == expected_good, "every good record passes"
    for sent in published:
        model.model_validate_json(sent.value)
    assert len(letters) == expected_bad, "every bad record is dead-lettered"
    assert all(letter.reason.strip() for letter in letters)


@EXAMPLES
@given(changes=mixed(BAD_DOSSIER_CHANGES))
def test_core_handle_never_raises(tmp_path: Path, changes: list) -> None:
    producer = FakeProducer()
    connector = DossierConnector({"source": "p"}, make_settings(tmp_path), producer=producer)
    batch = dossier_batch(changes)
    for record, good in batch:
        outcome = connector.handle(json.dumps(record, default=str).encode())
        assert (outcome.event is not None) == good, outcome.reason
    assert_fates(producer, sum(g for _, g in batch), sum(not g for _, g in batch), DossierEvent)


@EXAMPLES
@given(changes=mixed(BAD_FED_CHANGES))
def test_pull_adapter(tmp_path: Path, changes: list) -> None:
    feed = FakeFeed("NgayCapNhat", "MaHoSo")
    producer = FakeProducer()
    batch = dossier_batch(changes)
    feed.add([record for record, _ in batch])
    config = {"source": "p", "base_url": feed.url, "poll_interval": 0.01, "page_size": 4}
    connector = DossierConnector(config, make_settings(tmp_path), producer=producer)
    thread = threading.Thread(target=connector.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(producer.sent) >= len(batch), "every record handled")
    finally:
        connector.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert_fates(producer, sum(g for _, g in batch), sum(not g for _, g in batch), DossierEvent)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PaymentConnector, str]]:
    producer = FakeProducer()
    config = {"source": "hooks", "port": 0, "secrets": {"bank-a": SECRET}}
    settings_ = make_settings(tmp_path_factory.mktemp("push"))
    connector = PaymentConnector(config, settings_, producer=producer)
    thread = threading.Thread(target=connector.run, daemon=True)
    thread.start()
    assert connector.ready.wait(30)
    yield connector, f"http://127.0.0.1:{connector.bound_port}/webhooks/bank-a"
    connector.stop()
    thread.join(30)


@EXAMPLES
@given(changes=mixed(BAD_CONTRACT_CHANGES))
def test_push_adapter(receiver: tuple[PaymentConnector, str], changes: list) -> None:
    connector, url = receiver
    producer: FakeProducer = connector.publisher._producer  # type: ignore[assignment]
    producer.sent.clear()
    batch = payment_batch(changes)
    body = b"[" + b",".join(raw for raw, _ in batch) + b"]"
    status, answer = post_signed(url, SECRET, body)
    bad_indexes = [i for i, (_, good) in enumerate(batch) if not good]
    assert status == (422 if bad_indexes else 200)
    assert answer["accepted"] == len(batch) - len(bad_indexes)
    assert [e["index"] for e in answer.get("errors", [])] == bad_indexes
    assert all(e["reason"] for e in answer.get("errors", []))
    # A body with no valid event is one dead letter, not one per event.
    letters = 1 if len(bad_indexes) == len(batch) else len(bad_indexes)
    assert_fates(producer, len(batch) - len(bad_indexes), letters, PaymentEvent)


@EXAMPLES
@given(body=st.binary(max_size=300))
def test_push_adapter_random_bodies(receiver: tuple[PaymentConnector, str], body: bytes) -> None:
    _, url = receiver
    status, answer = post_signed(url, SECRET, body)
    assert status in (200, 422), answer  # never a 500
    if status == 422:
        assert answer["errors"] and all(e["reason"] for e in answer["errors"])


@EXAMPLES
@given(
    changes=mixed(BAD_CONTRACT_CHANGES),
    garbage=st.lists(st.binary(min_size=1, max_size=40), max_size=3),
)
def test_file_adapter(tmp_path: Path, changes: list, garbage: list[bytes]) -> None:
    batch = payment_batch(changes)
    lines = [raw for raw, _ in batch]
    junk = [g.replace(b"\n", b" ").replace(b"\r", b" ") for g in garbage]
    junk = [g for g in junk if g.strip()]
    path = tmp_path / f"payments-{datetime.now():%H%M%S%f}.jsonl"
    path.write_bytes(b"\n".join(lines + junk) + b"\n")
    producer = FakeProducer()
    connector = PaymentConnector({"source": "bank-a"}, make_settings(tmp_path), producer=producer)
    summary = import_file(connector, path, resume=False, create_topics=False)
    good = sum(g for _, g in batch)
    junk_that_is_valid = 0  # random bytes are never a valid payment event
    assert summary.published == good + junk_that_is_valid
    assert summary.rejected_total == len(batch) - good + len(junk)

"""The SDK's promises, without a broker: flush reports failures, checkpoints are atomic,
dead letters keep the original minus personal data, reasons are counted by kind."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cityops.contract import DeadLetter
from cityops.settings import KafkaSettings, Settings
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.payment.connector import PaymentConnector
from connectors.sdk import CheckpointStore, Publisher, PublishError, registry
from connectors.testing.fakes import FakeProducer
from connectors.testing.samples import contract_event


def make(cls, tmp_path: Path, producer: FakeProducer, **config):
    settings = Settings(kafka=KafkaSettings(namespace="unit"), state_dir=tmp_path)
    return cls({"source": "unit-src", **config}, settings, producer=producer)


def test_flush_raises_when_a_send_failed_and_counts_it() -> None:
    producer = FakeProducer(fail=lambda topic, value: b"pay-00001" in value)
    publisher = Publisher(KafkaSettings(), source="s", producer=producer)
    publisher.publish(contract_event("payment", "s", 0))
    publisher.publish(contract_event("payment", "s", 1))
    with pytest.raises(PublishError):
        publisher.flush()
    assert (publisher.metrics.sent, publisher.metrics.failed) == (1, 1)
    publisher.flush()  # failures are reported once, then cleared


def test_publish_uses_family_topic_key_and_tracks_lag() -> None:
    producer = FakeProducer()
    publisher = Publisher(KafkaSettings(namespace="ns"), source="s", producer=producer)
    event = contract_event("payment", "s", 3)
    publisher.publish(event)
    (sent,) = producer.sent
    assert sent.topic == "ns.cityops.payment.v1"
    assert sent.key == b"pay-00003"
    assert json.loads(sent.value)["event_id"] == event.event_id
    assert publisher.metrics.last_event_at == event.occurred_at
    assert publisher.metrics.lag_seconds() > 0


def test_checkpoint_roundtrip_and_no_temp_files(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "dossier", "egov/nam dinh")
    assert store.load() is None
    store.save({"updated_since": "20250303080000", "after_id": "HS-1"})
    store.save({"updated_since": "20250303090000", "after_id": "HS-2"})
    assert store.load() == {"updated_since": "20250303090000", "after_id": "HS-2"}
    assert [p.name for p in store.path.parent.iterdir()] == [store.path.name]


def test_commit_does_not_save_when_kafka_failed(tmp_path: Path) -> None:
    connector = make(DossierConnector, tmp_path, FakeProducer(fail=lambda t, v: True))
    connector.handle(sync_record("HS-1", 2, "20250303080000"))
    with pytest.raises(PublishError):
        connector.commit({"updated_since": "20250303080000", "after_id": "HS-1"})
    assert connector.checkpoints.load() is None


def test_dead_letter_keeps_original_with_personal_fields_hashed(tmp_path: Path) -> None:
    producer = FakeProducer()
    connector = make(DossierConnector, tmp_path, producer)
    record = sync_record("HS-9", 42, "20250303080000", SoGiayToChuHoSo="001085099999")
    outcome = connector.handle(json.dumps(record).encode())
    assert outcome.event is None and outcome.reason.startswith("unknown_TrangThaiHoSo")
    (sent,) = producer.to("deadletter.v1")
    letter = DeadLetter.model_validate_json(sent.value)
    original = json.loads(base64.b64decode(letter.original_b64))
    assert original["TrangThaiHoSo"] == 42 and original["MaHoSo"] == "HS-9"
    assert original["SoGiayToChuHoSo"].startswith("hmac:")
    assert b"001085099999" not in sent.value and b"Nguy" not in sent.value
    assert sent.key == b"unit-src"
    assert letter.topic == "unit.cityops.dossier.v1"
    assert connector.metrics.dead_lettered == {"unknown_TrangThaiHoSo": 1}


def test_non_json_input_is_redacted_by_pattern(tmp_path: Path) -> None:
    producer = FakeProducer()
    connector = make(DossierConnector, tmp_path, producer)
    connector.handle(b'{"MaHoSo": "HS-1", "SoGiayToChuHoSo": "001085012345", "x": ')
    (sent,) = producer.to("deadletter.v1")
    assert b"001085012345" not in sent.value
    assert connector.metrics.dead_lettered == {"invalid_json": 1}


def test_push_events_must_come_from_the_path_source(tmp_path: Path) -> None:
    producer = FakeProducer()
    connector = make(PaymentConnector, tmp_path, producer, secrets={"bank-a": "k" * 32})
    event = contract_event("payment", "bank-b", 1)
    outcome = connector.handle(event.to_json_bytes(), source="bank-a")
    assert outcome.reason.startswith("source_mismatch")
    assert producer.to("payment.v1") == []


def test_secrets_do_not_show_in_repr(tmp_path: Path) -> None:
    connector = make(
        PaymentConnector, tmp_path, FakeProducer(), secrets={"bank-a": "hunter2-secret-" + "x" * 32}
    )
    assert "hunter2-secret-" + "x" * 32 not in repr(connector)
    assert "hunter2-secret-" + "x" * 32 not in connector.config.model_dump_json()


def test_registry_finds_the_connectors_and_refuses_a_name_twice() -> None:
    names = {cls.name for cls in registry.all_connectors()}
    assert {"dossier", "payment", "portal"} <= names
    with pytest.raises(ValueError, match="taken"):

        class Impostor(PaymentConnector):
            name = "dossier"

"""The webhook receiver stays cheap (issue 8, item 3): a real local receiver, no broker.

Each test is a reproduction: before the fix a 20,000-item junk body took a minute and wrote
20,000 dead letters and log lines, junk batches starved a valid payment, JSON nested 100k
deep was a 500, a short or empty secret was accepted, and a resent request published again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from cityops.contract import DeadLetter
from cityops.secretcheck import InsecureSettings
from cityops.settings import KafkaSettings, Settings
from connectors.adapters.push.sender import post_signed
from connectors.payment.connector import PaymentConnector
from connectors.testing.fakes import FakeProducer
from connectors.testing.samples import contract_event

SECRET = "bank-a-secret-of-at-least-32-bytes"


@dataclass
class Receiver:
    connector: PaymentConnector
    producer: FakeProducer
    url: str

    def letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(s.value) for s in self.producer.to("deadletter.v1")]

    def payments(self) -> list[bytes]:
        return [s.value for s in self.producer.to("payment.v1")]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    producer = FakeProducer()
    settings = Settings(kafka=KafkaSettings(namespace="hooks"), state_dir=tmp_path)
    config = {"source": "hooks", "port": 0, "secrets": {"bank-a": SECRET}}
    connector = PaymentConnector(config, settings, producer=producer)
    thread = threading.Thread(target=connector.run, daemon=True)
    thread.start()
    assert connector.ready.wait(30)
    yield Receiver(connector, producer, f"http://127.0.0.1:{connector.bound_port}/webhooks/bank-a")
    connector.stop()
    thread.join(30)
    assert not thread.is_alive()


def payment(n: int) -> bytes:
    return contract_event("payment", "bank-a", n).to_json_bytes()


def test_twenty_thousand_items_are_413_without_a_dead_letter(receiver: Receiver) -> None:
    body = b"[" + b",".join([b"1"] * 20_000) + b"]"
    status, answer = post_signed(receiver.url, SECRET, body)
    assert status == 413 and answer["error"].startswith("too_many_items")
    assert receiver.producer.sent == []


def test_wholly_invalid_body_is_one_dead_letter_not_one_per_item(receiver: Receiver) -> None:
    body = b"[" + b",".join([b"1"] * 1000) + b"]"
    status, answer = post_signed(receiver.url, SECRET, body)
    assert status == 422 and answer["accepted"] == 0 and answer["rejected"] == 1000
    (letter,) = receiver.letters()
    assert letter.reason == "batch_invalid: all 1000 events rejected, first not_an_object"
    assert receiver.connector.metrics.dead_lettered_total == 1


def test_a_bad_event_among_good_ones_is_dead_lettered_alone(receiver: Receiver) -> None:
    body = b"[" + payment(1) + b",2," + payment(3) + b"]"
    status, answer = post_signed(receiver.url, SECRET, body)
    assert status == 422 and answer["accepted"] == 2
    assert [e["index"] for e in answer["errors"]] == [1]
    assert len(receiver.letters()) == 1 and len(receiver.payments()) == 2


def test_json_nested_100k_deep_is_422_and_dead_lettered_once(receiver: Receiver) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    status, answer = post_signed(receiver.url, SECRET, body)
    assert status == 422 and answer["errors"][0]["reason"] == "too_deep: over 32 levels"
    status, _ = post_signed(receiver.url, SECRET, b"[" * 40 + b"]" * 40)
    assert status == 422
    assert [letter.reason for letter in receiver.letters()] == ["too_deep: over 32 levels"] * 2


@pytest.mark.parametrize("secret", ["", "s3cr3t", "x" * 31], ids=["empty", "short", "31-bytes"])
def test_secret_shorter_than_32_bytes_is_refused_at_startup(tmp_path: Path, secret: str) -> None:
    config = {"source": "hooks", "secrets": {"bank-a": secret}}
    with pytest.raises(InsecureSettings, match=r"secrets\.bank-a shorter than 32 bytes") as info:
        PaymentConnector(config, Settings(state_dir=tmp_path), producer=FakeProducer())
    assert not secret or secret not in str(info.value), "the error does not show the secret"


def test_replayed_request_is_answered_again_without_publishing(receiver: Receiver) -> None:
    body = b"[" + payment(1) + b",5]"
    now = int(time.time())
    first = post_signed(receiver.url, SECRET, body, timestamp=now)
    sent = len(receiver.producer.sent)
    again = [post_signed(receiver.url, SECRET, body, timestamp=now) for _ in range(3)]
    assert again == [first] * 3 and first[0] == 422
    assert len(receiver.producer.sent) == sent == 2, "one event and one dead letter, once"
    later = post_signed(receiver.url, SECRET, body, timestamp=now - 1)
    assert later == first and len(receiver.producer.sent) == 4, "a new signature is new"


def test_junk_batches_do_not_starve_a_valid_request(receiver: Receiver) -> None:
    def junk(n: int) -> bytes:  # ~3 KB, every item invalid, each body different
        return b"[" + b",".join([b'{"a":%d}' % n] * 400) + b"]"

    with ThreadPoolExecutor(41) as pool:
        floods = [pool.submit(post_signed, receiver.url, SECRET, junk(n)) for n in range(40)]
        valid = pool.submit(post_signed, receiver.url, SECRET, payment(9), timeout=30)
        assert valid.result()[0] == 200
        statuses = {f.result()[0] for f in floods}
    assert statuses <= {422, 503}
    assert len(receiver.payments()) == 1
    assert len(receiver.letters()) == sum(1 for f in floods if f.result()[0] == 422)


def test_refusals_are_logged_at_a_bounded_rate(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(50):
        assert post_signed(receiver.url, "wrong-secret", b"{}")[0] == 401
    for i in range(50):
        post_signed(receiver.url, SECRET, json.dumps({"n": i}).encode())
    refused = [r for r in caplog.records if "refused webhook" in r.getMessage()]
    lettered = [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert 1 <= len(refused) <= 10 and 1 <= len(lettered) <= 10
    assert receiver.connector.metrics.rejected["bad_signature"] == 50
    assert receiver.connector.metrics.dead_lettered_total == 50


def test_a_full_mebibyte_of_junk_is_one_dead_letter_that_fits_kafka(receiver: Receiver) -> None:
    body = b"x" * (1024 * 1024)
    status, answer = post_signed(receiver.url, SECRET, body)
    assert status == 422 and answer["errors"][0]["reason"].startswith("invalid_json")
    (sent,) = receiver.producer.to("deadletter.v1")
    assert len(sent.value) < 1024 * 1024, "under Kafka's default message limit"
    letter = DeadLetter.model_validate_json(sent.value)
    assert letter.reason.endswith("(original cut to its first 524288 bytes)")

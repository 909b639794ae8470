"""The push adapter against the real broker: 2xx means the event is already in Kafka."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from cityops.contract import DEADLETTER, PAYMENT, DeadLetter, PaymentEvent
from cityops.settings import Settings
from connectors.adapters.push.sender import post_signed
from connectors.payment.connector import PaymentConnector
from connectors.testing.harness import Harness, read_topic
from connectors.testing.samples import contract_event

SECRET = "bank-a-webhook-secret-of-at-least-32-bytes"


@pytest.fixture
def webhook(settings: Settings) -> Iterator[tuple[Harness, str]]:
    harness = Harness(PaymentConnector, settings)
    harness.config = {"source": "hooks", "port": 0, "secrets": {"bank-a": SECRET}}
    with harness.running() as connector:
        yield harness, f"http://127.0.0.1:{connector.bound_port}/webhooks/bank-a"


def payments(settings: Settings) -> list[PaymentEvent]:
    records = read_topic(settings.kafka, PAYMENT.name(settings.kafka.namespace))
    return [PaymentEvent.model_validate_json(r.value) for r in records]


def letters(settings: Settings) -> list[DeadLetter]:
    records = read_topic(settings.kafka, DEADLETTER.name(settings.kafka.namespace))
    return [DeadLetter.model_validate_json(r.value) for r in records]


def test_accepted_means_already_in_kafka(webhook, settings: Settings) -> None:
    _, url = webhook
    event = contract_event("payment", "bank-a", 7)
    status, answer = post_signed(url, SECRET, event.to_json_bytes())
    assert (status, answer) == (200, {"accepted": 1})
    # No waiting: the response itself promised the broker has it.
    assert [e.event_id for e in payments(settings)] == [event.event_id]


def test_array_with_an_invalid_event_is_422_and_the_valid_ones_still_pass(webhook, settings):
    _, url = webhook
    good = json.loads(contract_event("payment", "bank-a", 1).to_json_bytes())
    bad = {**json.loads(contract_event("payment", "bank-a", 2).to_json_bytes()), "method": "gold"}
    status, answer = post_signed(url, SECRET, json.dumps([good, bad]).encode())
    assert status == 422
    assert answer["accepted"] == 1
    assert [e["index"] for e in answer["errors"]] == [1]
    assert "method" in answer["errors"][0]["reason"]
    assert [e.event_id for e in payments(settings)] == [good["event_id"]]
    (letter,) = letters(settings)
    assert "method" in letter.reason and letter.source == "bank-a"


def test_event_claiming_another_source_is_refused(webhook, settings: Settings) -> None:
    _, url = webhook
    forged = contract_event("payment", "bank-b", 1).to_json_bytes()
    status, answer = post_signed(url, SECRET, forged)
    assert status == 422 and "source_mismatch" in answer["errors"][0]["reason"]
    assert payments(settings) == []


@pytest.mark.parametrize(
    ("secret", "age", "path"),
    [
        ("wrong-secret", 0, "bank-a"),  # bad signature
        (SECRET, 301, "bank-a"),  # replayed: older than 5 minutes
        (SECRET, 0, "bank-z"),  # a source nobody configured
    ],
    ids=["bad-signature", "replay", "unknown-source"],
)
def test_unauthenticated_requests_are_401_and_publish_nothing(webhook, settings, secret, age, path):
    _, url = webhook
    body = contract_event("payment", "bank-a", 1).to_json_bytes()
    url = url.replace("/bank-a", f"/{path}")
    status, _ = post_signed(url, secret, body, timestamp=int(time.time()) - age)
    assert status == 401
    assert payments(settings) == [] and letters(settings) == []


def test_missing_signature_headers_is_401(webhook) -> None:
    import urllib.error
    import urllib.request

    _, url = webhook
    request = urllib.request.Request(url, data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 401


def test_body_over_one_mebibyte_is_413(webhook, settings: Settings) -> None:
    _, url = webhook
    event = json.loads(contract_event("payment", "bank-a", 1).to_json_bytes())
    body = json.dumps([event] * 5000).encode()
    assert len(body) > 1024 * 1024
    status, _ = post_signed(url, SECRET, body)
    assert status == 413
    assert payments(settings) == []

"""A poisoned record never stops a worker (issue 8, item 1), against the real broker and
ClickHouse: a year-2200 payment sent straight onto the topic (no connector to stop it) and
through the signed webhook; every other row keeps flowing, with no restart, and the bad ones
are in `deadletters` with their reason. A restarted worker does not wedge on them either."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from cityops.contract import PAYMENT
from cityops.db.tables import DEADLETTERS, PAYMENT_EVENTS, SINK_HEALTH, V_PIPELINE_HEALTH, qualified
from cityops.kafka import make_producer
from cityops.settings import Settings
from connectors.adapters.push.sender import post_signed
from connectors.payment.connector import PaymentConnector
from connectors.testing.harness import Harness
from connectors.testing.samples import contract_event
from tests.support.pipeline import Worker, wait_until

SECRET = "bank-a-webhook-secret-of-at-least-32-bytes"
YEAR_2200 = "2200-01-01T00:00:00Z"


def payment_bytes(n: int, **changes: Any) -> bytes:
    fields = json.loads(contract_event("payment", "bank-a", n).to_json_bytes())
    return json.dumps({**fields, **changes}).encode()


def send_raw(settings: Settings, *values: bytes) -> None:
    """Straight onto the topic, as a source that skips the connector would."""
    producer = make_producer(settings.kafka)
    for value in values:
        producer.send(PAYMENT.name(settings.kafka.namespace), key=b"k", value=value)
    producer.flush()
    producer.close()


def stored_payments(ch: Any, settings: Settings) -> set[str]:
    db = settings.clickhouse.database
    return {r[0] for r in ch.execute(f"SELECT payment_id FROM {db}.{PAYMENT_EVENTS.name}")}


def dead_letter_reasons(ch: Any, settings: Settings) -> list[tuple[str, str]]:
    db = settings.clickhouse.database
    return ch.execute(f"SELECT stage, reason FROM {db}.{DEADLETTERS.name} ORDER BY reason")


def payment_sink(ch: Any, settings: Settings) -> set[tuple[int, float]]:
    """What v_pipeline_health says of the payment topic's sink, once the worker sampled it."""
    db = settings.clickhouse.database
    sampled = ch.execute(
        f"SELECT stuck FROM {qualified(SINK_HEALTH.name, db)} FINAL "
        "WHERE sink_table = 'payment_events'"
    )
    if not sampled:
        return set()
    return set(
        ch.execute(
            f"SELECT sink_stuck, sink_waiting_seconds FROM {qualified(V_PIPELINE_HEALTH, db)} "
            "WHERE topic = 'cityops.payment.v1'"
        )
    )


def health(worker: Worker) -> int:
    url = f"http://127.0.0.1:{worker.web_port}/health"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return int(answer.status)


def test_year_2200_payment_is_dead_lettered_and_every_other_row_written(  # type: ignore[no-untyped-def]
    pipeline_settings, start_worker, ch
) -> None:
    settings = pipeline_settings
    worker = start_worker()
    send_raw(settings, payment_bytes(1), payment_bytes(2, occurred_at=YEAR_2200), payment_bytes(3))

    harness = Harness(PaymentConnector, settings)
    harness.config = {"source": "hooks", "port": 0, "secrets": {"bank-a": SECRET}}
    with harness.running() as connector:
        url = f"http://127.0.0.1:{connector.bound_port}/webhooks/bank-a"
        status, _ = post_signed(url, SECRET, payment_bytes(4, occurred_at=YEAR_2200))
        assert status == 422
        assert post_signed(url, SECRET, payment_bytes(5))[0] == 200

    good = {"pay-00001", "pay-00003", "pay-00005"}
    wait_until(lambda: stored_payments(ch, settings) == good, 90, describe=worker.log_tail)
    wait_until(lambda: len(dead_letter_reasons(ch, settings)) == 2, 60, describe=worker.log_tail)
    reasons = dead_letter_reasons(ch, settings)
    assert {stage for stage, _ in reasons} == {"worker", "connector"}
    for _, reason in reasons:
        assert "occurred_at" in reason and "outside the accepted window" in reason
        assert "2200" not in reason  # names the rule, never the value

    # The same worker, never restarted, keeps writing after the poison.
    send_raw(settings, payment_bytes(6))
    wait_until(lambda: "pay-00006" in stored_payments(ch, settings), 60, describe=worker.log_tail)
    assert health(worker) == 200
    # One row per source of the topic (the sender, and the worker for its dead letter).
    wait_until(lambda: payment_sink(ch, settings) == {(0, 0.0)}, 60, describe=worker.log_tail)

    # Restarted after poison (its records re-read if their offsets were not yet committed),
    # a worker does not wedge: new rows still arrive.
    assert worker.stop() == 0, worker.log_tail()
    again = start_worker()
    send_raw(settings, payment_bytes(7), payment_bytes(8, occurred_at=YEAR_2200))
    wait_until(lambda: "pay-00007" in stored_payments(ch, settings), 90, describe=again.log_tail)
    assert stored_payments(ch, settings) == good | {"pay-00006", "pay-00007"}

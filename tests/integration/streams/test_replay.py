"""`cityops deadletters replay` against the real ClickHouse and Kafka: after a fix, the
set-aside records go back to their topic once each; what is still invalid stays put."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.contract import PAYMENT, DeadLetter
from cityops.db.tables import DEADLETTERS
from cityops.settings import Settings
from connectors.testing.harness import read_topic
from connectors.testing.samples import contract_event
from streams.sink.rows import deadletter_row
from tests.support.pipeline import worker_env

WINDOW = "occurred_at: Value error, timestamp outside the accepted window"


def letter(original: bytes, topic: str, *, reason: str = WINDOW, stage: str = "worker",
           age: timedelta = timedelta(0)) -> tuple[Any, ...]:  # fmt: skip
    return deadletter_row(
        DeadLetter(
            source="cityops-streams",
            reason=f"invalid payment event: {reason}",
            original_b64=base64.b64encode(original).decode(),
            original_text="",
            at=datetime.now(UTC) - age,
            stage=stage,
            topic=topic,
        )
    )


def test_replay_republishes_what_now_passes_once_to_its_topic(pipeline_settings, ch) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = pipeline_settings
    topic = PAYMENT.name(settings.kafka.namespace)
    fixed = contract_event("payment", "bank-a", 1).to_json_bytes()
    still_bad = json.dumps(
        {**json.loads(contract_event("payment", "bank-a", 2).to_json_bytes()), "amount_vnd": True}
    ).encode()
    rows = [
        letter(fixed, topic),
        letter(fixed, topic),  # stored twice (at-least-once): replayed once
        letter(still_bad, topic),
        letter(contract_event("payment", "bank-a", 3).to_json_bytes(), topic, reason="other"),
        letter(b'{"MaHoSo": "x"}', topic, stage="connector"),  # source input, not an event
        letter(
            contract_event("payment", "bank-a", 4).to_json_bytes(), topic, age=timedelta(days=2)
        ),
        letter(fixed, "somewhere.else.v1"),
    ]
    database = settings.clickhouse.database
    ch.execute(DEADLETTERS.insert_sql(database), rows)
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    args = ["deadletters", "replay", "--reason", "ACCEPTED WINDOW", "--since", since]
    result = CliRunner().invoke(app, args, env=worker_env(settings))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert f"replayed 1 dead letters (1 to {topic}); 1 still invalid, 1 not for a contract" in said

    (record,) = read_topic(settings.kafka, topic)
    assert record.value == fixed and record.key == b"pay-00001"


def test_a_dry_run_publishes_nothing(pipeline_settings, ch) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = pipeline_settings
    topic = PAYMENT.name(settings.kafka.namespace)
    ch.execute(
        DEADLETTERS.insert_sql(settings.clickhouse.database),
        [letter(contract_event("payment", "bank-a", 1).to_json_bytes(), topic)],
    )
    args = ["deadletters", "replay", "--reason", "window", "--since", "2026-01-01", "--dry-run"]
    result = CliRunner().invoke(app, args, env=worker_env(settings))
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "dry run, nothing sent: replayed 1 dead letters" in said, said
    assert read_topic(settings.kafka, topic) == []

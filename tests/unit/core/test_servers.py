"""Server-down reporting and waiting (cityops.servers), and topic plans from settings."""

from __future__ import annotations

import logging

import pytest
from clickhouse_driver.errors import NetworkError
from kafka.errors import KafkaConnectionError
from pydantic import ValidationError

from cityops import servers
from cityops.settings import ClickHouseSettings, KafkaSettings, Settings
from streams.topics import build, internal_plans, project_plans, subscribed_topics

SETTINGS = Settings(
    kafka=KafkaSettings(bootstrap_servers="kafka-1:9092,kafka-2:9092"),
    clickhouse=ClickHouseSettings(host="ch.internal", port=9440),
)


def test_client_errors_anywhere_in_the_chain_name_the_server_and_address() -> None:
    try:
        try:
            raise NetworkError("Code: 210. Connection refused")
        except NetworkError as inner:
            raise RuntimeError("query failed") from inner
    except RuntimeError as outer:
        down = servers.explain(outer, SETTINGS)
    assert str(down) == (
        "ClickHouse is not reachable at ch.internal:9440 - start it with `make stack-up` or "
        "set CITYOPS_CLICKHOUSE__HOST / CITYOPS_CLICKHOUSE__PORT"
    )
    kafka = servers.explain(KafkaConnectionError("refused"), SETTINGS)
    assert kafka is not None and "Kafka is not reachable at kafka-1:9092,kafka-2:9092" in str(kafka)
    assert servers.explain(ValueError("a bug"), SETTINGS) is None


def test_waiting_logs_one_line_however_many_retries(caplog: pytest.LogCaptureFixture) -> None:
    attempts = []

    def check() -> None:
        attempts.append(1)
        if len(attempts) < 5:
            raise servers.kafka_down(SETTINGS.kafka)

    with caplog.at_level(logging.INFO):
        ready = servers.wait_until_up(
            check, logging.getLogger("t"), first_delay=0.01, max_delay=0.02
        )
    assert ready and len(attempts) == 5
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("Kafka is not reachable at kafka-1:9092")
    assert messages[1].startswith("Kafka at kafka-1:9092,kafka-2:9092: ready after")


def test_waiting_ends_when_stopped() -> None:
    def never() -> None:
        raise servers.clickhouse_down(SETTINGS.clickhouse)

    stopped = servers.wait_until_up(
        never, logging.getLogger("t"), stopped=lambda: True, first_delay=0.01
    )
    assert stopped is False


def test_min_insync_replicas_cannot_exceed_the_replication_factor() -> None:
    with pytest.raises(ValidationError, match="min_insync_replicas"):
        KafkaSettings(replication_factor=2, min_insync_replicas=3)


def test_topic_plans_follow_settings_and_state_follows_the_source_partitions(tmp_path) -> None:
    kafka = KafkaSettings(
        namespace="ns", partitions=12, replication_factor=3, min_insync_replicas=2
    )
    settings = Settings(kafka=kafka, state_dir=tmp_path)
    plans = {plan.name: plan for plan in project_plans(settings)}
    assert plans["ns.cityops.dossier.v1"].partitions == 12
    assert plans["ns.cityops.deadletter.v1"].partitions == 1
    assert {plan.replication_factor for plan in plans.values()} == {3}
    assert {plan.configs["min.insync.replicas"] for plan in plans.values()} == {"2"}
    internal = {plan.name: plan for plan in internal_plans(build(settings))}
    changelog = next(name for name in internal if name.endswith("dossier-state-changelog"))
    assert internal[changelog].partitions == 12
    assert internal[changelog].configs["cleanup.policy"] == "compact"
    assert "ns.cityops-internal.signals.v1" in internal
    assert set(subscribed_topics(build(settings))) == {
        name for name in plans if name.startswith("ns.cityops.")
    }

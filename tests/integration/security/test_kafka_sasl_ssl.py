"""Kafka security end to end, against a broker that takes SASL (SCRAM-SHA-512, PLAIN) over
mutual TLS only and authorizes by ACLs: a connector and a worker work through it, each as its
role's account, and may do nothing else; clients without the right credentials or a client
certificate are refused by the broker, and a worker with a wrong password stops at once with
one line instead of retrying forever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kafka import KafkaProducer
from kafka.errors import TopicAuthorizationFailedError
from pydantic import SecretStr

from cityops.contract import ALERTS, PAYMENT
from cityops.db.client import make_client
from cityops.db.migrate import migrate
from cityops.db.tables import PAYMENT_EVENTS
from cityops.kafka import read_all
from cityops.kafka_access import AccessRefused, CredentialsRefused, check_access
from cityops.settings import KafkaSettings, Settings
from connectors.testing.samples import contract_event
from tests.support.pipeline import Worker, wait_until

from .conftest import as_user, kafka_env

CLI = [sys.executable, "-m", "cityops.cli.main"]
LEAKY = "a-wrong-password-that-must-not-be-logged"


@pytest.fixture
def secure_settings(settings: Settings, secure_kafka: KafkaSettings) -> Settings:
    """The test's own namespace and database, through the SASL_SSL broker."""
    kafka = secure_kafka.model_copy(update={"namespace": settings.kafka.namespace})
    return settings.model_copy(update={"kafka": kafka})


def test_connector_and_worker_work_through_sasl_ssl_each_as_its_role(
    secure_settings: Settings, tmp_path: Path
) -> None:
    """`kafka init` and `kafka acls` as the admin, a connector and a worker each as its role's
    account: the events reach ClickHouse through the broker's ACLs."""
    migrator = make_client(secure_settings.clickhouse, migrator=True)
    migrate(migrator, secure_settings.clickhouse.database)
    migrator.disconnect()
    admin = kafka_env(as_user(secure_settings.kafka, "admin"))
    for command in (["kafka", "init"], ["kafka", "acls"]):
        done = subprocess.run(
            [*CLI, *command], env={**os.environ, **admin}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr

    path = tmp_path / "payments.jsonl"
    path.write_bytes(
        b"\n".join(contract_event("payment", "bank-a", i).to_json_bytes() for i in range(5))
    )
    config = tmp_path / "cityops.yaml"
    config.write_text(yaml.safe_dump({"connectors": {"payment": {"source": "bank-a"}}}))
    connector = as_user(secure_settings.kafka, secure_settings.kafka.connector_user)
    env = {
        **os.environ,
        **kafka_env(connector),
        "CITYOPS_STATE_DIR": str(secure_settings.state_dir),
    }
    imported = subprocess.run(
        [*CLI, "connectors", "import", "payment", str(path), "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    topic = PAYMENT.name(secure_settings.kafka.namespace)
    assert len(list(read_all(as_user(secure_settings.kafka, "admin"), topic))) == 5

    worker_kafka = as_user(secure_settings.kafka, secure_settings.kafka.worker_user)
    worker = Worker(secure_settings, tmp_path / "worker.log", kafka_env(worker_kafka))
    worker.start()
    reader = make_client(secure_settings.clickhouse)
    try:
        query = f"SELECT count() FROM {secure_settings.clickhouse.database}.{PAYMENT_EVENTS.name}"
        wait_until(lambda: reader.execute(query)[0][0] >= 5, timeout=120, describe=worker.log_tail)
    finally:
        reader.disconnect()
        assert worker.stop() == 0, worker.log_tail()
    assert "Authorization" not in worker.log_path.read_text()

    # The connector's account writes its topics and nothing else, and reads none.
    producer = KafkaProducer(**connector.client_kwargs(), max_block_ms=10_000)
    try:
        producer.send(topic, b"{}").get(timeout=10)
        for other in (ALERTS.name(connector.namespace), worker_topic(secure_settings)):
            with pytest.raises(TopicAuthorizationFailedError):
                producer.send(other, b"{}").get(timeout=10)
    finally:
        producer.close()
    with pytest.raises(TopicAuthorizationFailedError):
        list(read_all(connector, topic))
    # Nor may a worker publish source events.
    worker_producer = KafkaProducer(**worker_kafka.client_kwargs(), max_block_ms=10_000)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            worker_producer.send(topic, b"{}").get(timeout=10)
    finally:
        worker_producer.close()


def worker_topic(settings: Settings) -> str:
    """One of the worker's own topics (its dossier state changelog)."""
    from streams.topics import build, internal_plans

    return next(p.name for p in internal_plans(build(settings)) if "changelog" in p.name)


def test_clients_without_the_right_credentials_are_refused(secure_kafka: KafkaSettings) -> None:
    check_access(secure_kafka)  # the right ones pass, by SCRAM and by PLAIN
    check_access(secure_kafka.model_copy(update={"sasl_mechanism": "PLAIN"}))
    wrong = SecretStr("not-the-password")
    for mechanism in ("SCRAM-SHA-512", "PLAIN"):
        with pytest.raises(CredentialsRefused, match="refused the credentials"):
            check_access(
                secure_kafka.model_copy(
                    update={"sasl_mechanism": mechanism, "sasl_password": wrong}
                )
            )
    unauthenticated = [
        KafkaSettings(bootstrap_servers=secure_kafka.bootstrap_servers),
        KafkaSettings(
            bootstrap_servers=secure_kafka.bootstrap_servers,
            security_protocol="SSL",
            ssl_cafile=secure_kafka.ssl_cafile,
        ),
    ]
    for client in unauthenticated:
        with pytest.raises(AccessRefused, match="dropped the connection"):
            check_access(client)
    untrusting = secure_kafka.model_copy(update={"ssl_cafile": None})
    with pytest.raises(AccessRefused, match="not trusted"):
        check_access(untrusting)
    # Mutual TLS: the right password without a client certificate is refused before SASL.
    no_certificate = secure_kafka.model_copy(update={"ssl_certfile": None, "ssl_keyfile": None})
    with pytest.raises(AccessRefused, match="without a certificate"):
        check_access(no_certificate)


def test_worker_with_a_wrong_password_stops_at_once_with_one_line(
    secure_settings: Settings, tmp_path: Path
) -> None:
    wrong = secure_settings.kafka.model_copy(update={"sasl_password": SecretStr(LEAKY)})
    worker = Worker(secure_settings, tmp_path / "worker.log", kafka_env(wrong)).start()
    assert worker.process is not None
    code = worker.process.wait(timeout=120)
    log = worker.log_path.read_text()
    assert code == 2, log
    lines = [line for line in log.splitlines() if "refused the credentials" in line]
    assert len(lines) == 1, log
    assert LEAKY not in log and "Traceback" not in log

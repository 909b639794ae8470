"""Kafka security end to end, against a broker that takes SASL (SCRAM-SHA-512, PLAIN) over TLS
only: a connector and a worker work through it from the same settings, clients without the
right credentials are refused by the broker, and a worker with a wrong password stops at once
with one line instead of retrying forever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from cityops.contract import PAYMENT
from cityops.db.client import make_client
from cityops.db.migrate import migrate
from cityops.db.tables import PAYMENT_EVENTS
from cityops.kafka import read_all
from cityops.kafka_access import AccessRefused, CredentialsRefused, check_access
from cityops.kafka_topics import ensure_topics
from cityops.settings import KafkaSettings, Settings
from connectors.testing.samples import contract_event
from tests.support.pipeline import Worker, wait_until

from .conftest import kafka_env

CLI = [sys.executable, "-m", "cityops.cli.main"]
LEAKY = "a-wrong-password-that-must-not-be-logged"


@pytest.fixture
def secure_settings(settings: Settings, secure_kafka: KafkaSettings) -> Settings:
    """The test's own namespace and database, through the SASL_SSL broker."""
    kafka = secure_kafka.model_copy(update={"namespace": settings.kafka.namespace})
    return settings.model_copy(update={"kafka": kafka})


def test_connector_and_worker_work_through_sasl_ssl(secure_settings: Settings, tmp_path: Path):
    migrator = make_client(secure_settings.clickhouse, migrator=True)
    migrate(migrator, secure_settings.clickhouse.database)
    migrator.disconnect()
    ensure_topics(secure_settings.kafka)

    path = tmp_path / "payments.jsonl"
    path.write_bytes(
        b"\n".join(contract_event("payment", "bank-a", i).to_json_bytes() for i in range(5))
    )
    config = tmp_path / "cityops.yaml"
    config.write_text(yaml.safe_dump({"connectors": {"payment": {"source": "bank-a"}}}))
    env = {
        **os.environ,
        **kafka_env(secure_settings.kafka),
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
    assert len(list(read_all(secure_settings.kafka, topic))) == 5

    worker = Worker(secure_settings, tmp_path / "worker.log", kafka_env(secure_settings.kafka))
    worker.start()
    reader = make_client(secure_settings.clickhouse)
    try:
        query = f"SELECT count() FROM {secure_settings.clickhouse.database}.{PAYMENT_EVENTS.name}"
        wait_until(lambda: reader.execute(query)[0][0] >= 5, timeout=120, describe=worker.log_tail)
    finally:
        reader.disconnect()
        assert worker.stop() == 0, worker.log_tail()


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

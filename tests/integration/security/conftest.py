"""A Kafka broker that takes SASL over mutual TLS only and authorizes by ACLs, started once
per session by the stack's own script (`CITYOPS_KAFKA_SECURITY=sasl_ssl deploy/local/kafka.sh
start`) in a private folder on free ports: its certificates (keytool) and SCRAM users (admin,
`cityops`, one per role) are made at this first start."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from cityops.settings import KafkaSettings
from tests.conftest import REPO_ROOT
from tests.support.pipeline import free_port

KAFKA_SCRIPT = REPO_ROOT / "deploy" / "local" / "kafka.sh"
USER = "cityops"


def kafka_env(kafka: KafkaSettings) -> dict[str, str]:
    """The settings as the environment of a cityops process (worker, connector, CLI)."""
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    values = {
        "BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "NAMESPACE": kafka.namespace,
        "SECURITY_PROTOCOL": kafka.security_protocol,
        "SASL_MECHANISM": kafka.sasl_mechanism,
        "SASL_USERNAME": kafka.sasl_username,
        "SASL_PASSWORD": password,
        "SSL_CAFILE": str(kafka.ssl_cafile) if kafka.ssl_cafile else None,
        "SSL_CERTFILE": str(kafka.ssl_certfile) if kafka.ssl_certfile else None,
        "SSL_KEYFILE": str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None,
    }
    return {f"CITYOPS_KAFKA__{k}": v for k, v in values.items() if v is not None}


@pytest.fixture(scope="session")
def secure_kafka(stack: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaSettings]:
    home = tmp_path_factory.mktemp("secure-stack")
    port = free_port()
    password = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "CITYOPS_STACK_DIR": str(home),
        "CITYOPS_KAFKA_PORT": str(port),
        "CITYOPS_KAFKA_CONTROLLER_PORT": str(free_port()),
        "CITYOPS_KAFKA_SECURITY": "sasl_ssl",
        "CITYOPS_KAFKA_HEAP": "-Xmx384m -Xms128m",
        "CITYOPS_KAFKA__SASL_USERNAME": USER,
        "CITYOPS_KAFKA__SASL_PASSWORD": password,
    }
    # The jars are the main stack's (already resolved): no second Maven run.
    (home / "kafka").mkdir()
    (home / "kafka" / "libs").symlink_to(REPO_ROOT / ".stack" / "kafka" / "libs")
    log = home / "kafka-script.log"

    def run(action: str) -> int:
        with log.open("a") as out:
            return subprocess.run(
                [str(KAFKA_SCRIPT), action],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=240,
            ).returncode

    if run("start") != 0:
        run("stop")
        pytest.fail(f"the SASL_SSL broker did not start:\n{log.read_text()[-3000:]}")
    try:
        yield KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{port}",
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=USER,
            sasl_password=SecretStr(password),
            ssl_cafile=Path(home / "kafka" / "tls" / "ca.pem"),
            ssl_certfile=Path(home / "kafka" / "tls" / "client.pem"),
            ssl_keyfile=Path(home / "kafka" / "tls" / "client.key"),
        )
    finally:
        run("stop")


def as_user(kafka: KafkaSettings, user: str) -> KafkaSettings:
    """The same client as another account the broker's first start made (admin, a role),
    with the password kafka.sh generated for it."""
    assert kafka.ssl_cafile is not None
    secrets_dir = kafka.ssl_cafile.parent.parent / "secrets"
    password = (secrets_dir / f"{user}.password").read_text(encoding="utf-8")
    return kafka.model_copy(update={"sasl_username": user, "sasl_password": SecretStr(password)})

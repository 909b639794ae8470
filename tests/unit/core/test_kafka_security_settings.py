"""Kafka security settings: refused when incomplete, and turned into the same TLS and SASL
configuration for kafka-python (connectors, CLI, simulator, health checks) and Faust."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest
from pydantic import SecretStr, ValidationError

from cityops.settings import KafkaSettings, Settings
from streams.app import broker_credentials

SASL_SSL = {
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_username": "cityops",
    "sasl_password": SecretStr("s3cret"),
}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs kafka.sasl_mechanism"),
        ({"sasl_mechanism": "SCRAM-SHA-512"}, "use SASL_SSL"),
        ({"security_protocol": "SSL", "ssl_certfile": Path("c.pem")}, "go together"),
        ({"security_protocol": "TLS"}, "security_protocol"),
        ({**SASL_SSL, "sasl_mechanism": "SCRAM-SHA-1"}, "sasl_mechanism"),
    ],
)
def test_an_incomplete_configuration_is_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KafkaSettings(**fields)


def test_env_configures_sasl_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CITYOPS_KAFKA__SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("CITYOPS_KAFKA__SASL_USERNAME", "cityops")
    monkeypatch.setenv("CITYOPS_KAFKA__SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("CITYOPS_KAFKA__SSL_CHECK_HOSTNAME", "false")
    kafka = Settings().kafka
    assert kafka.uses_tls and kafka.sasl_mechanism == "PLAIN"
    assert "s3cret" not in repr(kafka)
    context = kafka.ssl_context()
    assert context is not None and context.check_hostname is False


def test_kafka_python_clients_get_sasl_and_the_tls_context() -> None:
    kwargs = KafkaSettings(**SASL_SSL).client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_password"] == "s3cret"
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert "ssl_context" not in KafkaSettings().client_kwargs()


def test_faust_gets_the_same_credentials() -> None:
    credentials = broker_credentials(KafkaSettings(**SASL_SSL))
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("cityops", "s3cret")
    assert isinstance(credentials.ssl_context, ssl.SSLContext)
    plaintext_sasl = broker_credentials(
        KafkaSettings(**{**SASL_SSL, "security_protocol": "SASL_PLAINTEXT"})
    )
    assert isinstance(plaintext_sasl, faust.SASLCredentials)
    assert plaintext_sasl.protocol.value == "SASL_PLAINTEXT" and plaintext_sasl.ssl_context is None
    tls_only = broker_credentials(KafkaSettings(security_protocol="SSL"))
    assert isinstance(tls_only, faust.SSLCredentials)
    assert broker_credentials(KafkaSettings()) is None


def test_the_worker_app_is_built_with_them(tmp_path: Path) -> None:
    from streams.app import create_app

    settings = Settings(kafka=KafkaSettings(**SASL_SSL), state_dir=tmp_path)
    ctx = create_app(settings, sink=object())
    credentials = ctx.app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.mechanism.value == "SCRAM-SHA-512"


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose passes for a security setting nobody set."""
    for name in ("SASL_MECHANISM", "SASL_USERNAME", "SASL_PASSWORD", "SSL_CAFILE"):
        monkeypatch.setenv(f"CITYOPS_KAFKA__{name}", "")
    kafka = Settings().kafka
    assert kafka.sasl_mechanism is None and kafka.ssl_cafile is None

"""Can these settings talk to Kafka? One attempt, and the reason in one line when not.

Kafka clients hide why they cannot connect: kafka-python retries until "Unable to bootstrap",
aiokafka (Faust's client) logs the cause and raises the same. A wrong password, an untrusted
certificate or a plaintext client on a TLS listener then looks like a server that is down, and
a worker would wait for it forever. `check_access` opens one connection to each bootstrap
server the way the worker's client does (aiokafka's `create_conn`: TLS, then SASL) and sends
one metadata request, so each of these fails at once, named.
"""

from __future__ import annotations

import asyncio
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
)
from aiokafka.protocol.metadata import MetadataRequest

from cityops.settings import KafkaSettings


class KafkaAccessError(RuntimeError):
    """These settings cannot use Kafka; `str()` is the one line an operator reads."""


class KafkaUnreachable(KafkaAccessError):
    """Nothing answered (down, starting, wrong address): may pass by itself."""


class AccessRefused(KafkaAccessError):
    """A broker answered but these settings cannot work with it: retrying cannot help."""


class CredentialsRefused(AccessRefused):
    """The broker refused the SASL credentials."""


def _hosts(kafka: KafkaSettings) -> list[tuple[str, int]]:
    hosts = []
    for server in kafka.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        hosts.append((host.strip("[]"), int(port)))
    return hosts


async def _probe(kafka: KafkaSettings, host: str, port: int, timeout: float) -> None:
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    conn = await asyncio.wait_for(
        create_conn(
            host,
            port,
            client_id=kafka.client_id,
            request_timeout_ms=int(timeout * 1000),
            ssl_context=kafka.ssl_context(),
            security_protocol=kafka.security_protocol,
            sasl_mechanism=kafka.sasl_mechanism or "PLAIN",
            sasl_plain_username=kafka.sasl_username,
            sasl_plain_password=password,
        ),
        timeout,
    )
    try:
        await asyncio.wait_for(conn.send(MetadataRequest([])), timeout)
    finally:
        conn.close()


def _reason(kafka: KafkaSettings, address: str, error: BaseException) -> KafkaAccessError:
    protocol = kafka.security_protocol
    if isinstance(error, SaslAuthenticationFailed):
        said = error.args[0] if error.args else error
        return CredentialsRefused(
            f"Kafka at {address} refused the credentials of kafka.sasl_username "
            f"'{kafka.sasl_username}' ({kafka.sasl_mechanism}): {said}"
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return AccessRefused(
            f"Kafka's TLS certificate at {address} is not trusted ({error.verify_message}): "
            "set kafka.ssl_cafile to the CA that signed it"
        )
    if isinstance(error, IllegalSaslStateError):
        return AccessRefused(
            f"Kafka at {address} does not take SASL on this listener: "
            f"kafka.security_protocol {protocol} does not match it"
        )
    if isinstance(error, ssl.SSLError | KafkaConnectionError | ConnectionResetError):
        certificate = (
            ", and take a client without a certificate (else set kafka.ssl_certfile and "
            "kafka.ssl_keyfile)"
            if kafka.uses_tls and kafka.ssl_certfile is None
            else ""
        )
        return AccessRefused(
            f"Kafka at {address} dropped the connection during the handshake: does its listener "
            f"speak kafka.security_protocol {protocol} (and SASL, if it asks for it){certificate}?"
        )
    if isinstance(error, TimeoutError):
        return KafkaUnreachable(f"Kafka at {address} did not answer within the timeout")
    return KafkaUnreachable(f"Kafka is not reachable at {address}: {error}")


def check_access(kafka: KafkaSettings, timeout: float = 5.0) -> None:
    """Raise `KafkaAccessError` unless some bootstrap server accepts these settings.

    A refusal (`AccessRefused`: credentials, certificate, protocol) is raised at once,
    whatever the other servers would say: the same settings are refused everywhere.
    """
    failures: list[KafkaAccessError] = []
    for host, port in _hosts(kafka):
        try:
            asyncio.run(_probe(kafka, host, port, timeout))
        except (KafkaError, OSError, TimeoutError) as error:
            reason = _reason(kafka, f"{host}:{port}", error)
            if isinstance(reason, AccessRefused):
                raise reason from error
            failures.append(reason)
        else:
            return
    raise failures[0]

"""Is Kafka, is ClickHouse reachable? One answer, in one line, for every component.

Components start in any order. A one-shot command (`cityops kpi`, `db migrate`, `kafka init`,
`connectors import`) that finds a server down exits 1 with one line that names the server,
its address and the fix (`ServerDown`, printed by the `cityops` entry point; the traceback
only with `--debug`). A long-running process (worker, connector, simulator) logs that same
line once and waits with capped backoff (`wait_until_up`) until the server answers.

The probes use the clients' own protocols with short timeouts, so "up" means the server
answers, not merely that a port is open: kafka-python's client gives up bootstrapping after
30 s by default, far too long for a command that should say "not running" at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cityops.settings import ClickHouseSettings, KafkaSettings, Settings

#: The fix each server's line names: the local stack, or the setting that points elsewhere.
KAFKA_FIX = "start it with `make stack-up` or set CITYOPS_KAFKA__BOOTSTRAP_SERVERS"
CLICKHOUSE_FIX = (
    "start it with `make stack-up` or set CITYOPS_CLICKHOUSE__HOST / CITYOPS_CLICKHOUSE__PORT"
)

#: Backoff of `wait_until_up`: the first retry after this, doubling up to `MAX_DELAY`.
FIRST_DELAY = 0.5
MAX_DELAY = 5.0


class NotReady(Exception):
    """Something a component needs is not there yet; `str()` is the line an operator reads,
    `subject` what is logged once it is there."""

    subject: str = ""


@dataclass
class ServerDown(NotReady):
    """A server cityops needs does not answer."""

    server: str
    address: str
    fix: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.server} is not reachable at {self.address} - {self.fix}"

    @property
    def subject(self) -> str:  # type: ignore[override]
        return f"{self.server} at {self.address}"


def kafka_down(kafka: KafkaSettings, detail: str = "") -> ServerDown:
    return ServerDown("Kafka", kafka.bootstrap_servers, KAFKA_FIX, detail)


def clickhouse_down(clickhouse: ClickHouseSettings, detail: str = "") -> ServerDown:
    address = f"{clickhouse.host}:{clickhouse.port}"
    return ServerDown("ClickHouse", address, CLICKHOUSE_FIX, detail)


def check_kafka(kafka: KafkaSettings, timeout: float = 3.0) -> None:
    """Raise `ServerDown` unless a broker answers a metadata request within `timeout`."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError

    try:
        with _quiet_clients():
            admin = KafkaAdminClient(
                **kafka.client_kwargs(),
                bootstrap_timeout_ms=int(timeout * 1000),
                request_timeout_ms=int(timeout * 1000) + 1000,
            )
    except (KafkaTimeoutError, KafkaConnectionError, OSError) as exc:
        raise kafka_down(kafka, str(exc)) from exc
    admin.close()


def check_clickhouse(clickhouse: ClickHouseSettings, timeout: float = 3.0) -> None:
    """Raise `ServerDown` unless ClickHouse answers `SELECT 1` over the native port."""
    from clickhouse_driver import Client
    from clickhouse_driver.errors import NetworkError, ServerException, SocketTimeoutError

    # Whether the server answers, not whether an account may log in: any account with a
    # password will do (`cityops kpi` has only the reader's), else none; a refused login is an
    # answer, and the command names the password it lacks when it connects.
    logins = [
        (clickhouse.user, clickhouse.password),
        (clickhouse.reader_user, clickhouse.reader_password),
        (clickhouse.migrator_user, clickhouse.migrator_password),
    ]
    user, password = next(
        ((name, secret.get_secret_value()) for name, secret in logins if secret), ("default", "")
    )
    client = Client(
        **clickhouse.client_kwargs(database=False, user=user, password=password),
        connect_timeout=timeout,
        send_receive_timeout=timeout,
    )
    try:
        with _quiet_clients():
            client.execute("SELECT 1")
    except (NetworkError, SocketTimeoutError, EOFError, OSError) as exc:
        raise clickhouse_down(clickhouse, str(exc)) from exc
    except ServerException:
        pass  # it answered, if only to refuse the login
    finally:
        client.disconnect()


@contextmanager
def _quiet_clients() -> Iterator[None]:
    """A probe is expected to fail while a server is down: the clients' own warnings (with
    tracebacks) would bury the one line that says so."""
    loggers = [logging.getLogger(name) for name in ("kafka", "clickhouse_driver")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def wait_until_up(
    check: Callable[[], None],
    log: logging.Logger,
    *,
    stopped: Callable[[], bool] = lambda: False,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
) -> bool:
    """Call `check` (which raises `NotReady`) until it passes, with capped backoff.

    Logs the reason once when first found not ready and once when ready, not at every retry.
    Returns False if `stopped()` turned true while waiting.
    """
    delay = first_delay
    waiting: NotReady | None = None
    started = time.monotonic()
    while True:
        try:
            check()
        except NotReady as exc:
            if waiting is None:
                log.warning("%s; waiting", exc)
            waiting = exc
        else:
            if waiting is not None:
                waited = time.monotonic() - started
                log.info("%s: ready after %.0f s", waiting.subject, waited)
            return True
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if stopped():
                return False
            time.sleep(min(0.2, delay))
        delay = min(delay * 2, max_delay)


def _checks(settings: Settings, kafka: bool, clickhouse: bool) -> list[Callable[[], None]]:
    checks: list[Callable[[], None]] = []
    if kafka:
        checks.append(lambda: check_kafka(settings.kafka))
    if clickhouse:
        checks.append(lambda: check_clickhouse(settings.clickhouse))
    return checks


def require(settings: Settings, *, kafka: bool = False, clickhouse: bool = False) -> None:
    """For one-shot commands: raise `ServerDown` for the first server that does not answer."""
    for check in _checks(settings, kafka, clickhouse):
        check()


def await_servers(
    settings: Settings,
    log: logging.Logger,
    *,
    kafka: bool = False,
    clickhouse: bool = False,
    stopped: Callable[[], bool] = lambda: False,
) -> bool:
    """For long-running processes: wait until each server answers (see `wait_until_up`);
    False if `stopped()` turned true first."""
    return all(
        wait_until_up(check, log, stopped=stopped) for check in _checks(settings, kafka, clickhouse)
    )


def explain(exc: BaseException, settings: Settings) -> ServerDown | None:
    """The `ServerDown` behind an exception of a client library, if that is what it is.

    One-shot commands check their servers first (`check_*`), but a server can also go away
    mid-command; this maps the clients' connection errors, anywhere in the exception's chain,
    to the same line.
    """
    from clickhouse_driver.errors import NetworkError, SocketTimeoutError
    from kafka.errors import KafkaConnectionError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServerDown):
            return current
        if isinstance(current, NetworkError | SocketTimeoutError):
            return clickhouse_down(settings.clickhouse, str(current))
        if isinstance(current, KafkaConnectionError):
            return kafka_down(settings.kafka, str(current))
        if "Unable to bootstrap" in str(current):  # kafka-python's KafkaTimeoutError
            return kafka_down(settings.kafka, str(current))
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def reported(settings: Settings) -> Iterator[None]:
    """Turn a client's connection error inside the block into the `ServerDown` it means."""
    try:
        yield
    except NotReady:
        raise
    except Exception as exc:
        down = explain(exc, settings)
        if down is None:
            raise
        raise down from exc

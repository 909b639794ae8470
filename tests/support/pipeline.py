"""Pipeline fixtures (a pytest plugin of the root conftest): a migrated database, the
contract's topics, and stream workers as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from streams.topics import init_topics


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], Any],
    timeout: float,
    every: float = 0.5,
    describe: Callable[[], str] | None = None,
) -> Any:
    """Poll until `check()` is truthy; returns its value or fails saying what was missing."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    detail = describe() if describe else f"last value: {value!r}"
    raise AssertionError(f"condition not met within {timeout}s ({detail})")


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CITYOPS_KAFKA__NAMESPACE": settings.kafka.namespace,
            "CITYOPS_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "CITYOPS_CLICKHOUSE__DATABASE": settings.clickhouse.database,
            "CITYOPS_CLICKHOUSE__PORT": str(settings.clickhouse.port),
            "CITYOPS_STATE_DIR": str(settings.state_dir),
            "CITYOPS_STREAMS__DEADLINE_CHECK_SECONDS": "1",
            "CITYOPS_STREAMS__BATCH_MAX_SECONDS": "0.5",
            "CITYOPS_STREAMS__LAG_REPORT_SECONDS": "5",
            "CITYOPS_LOG_LEVEL": "INFO",
            # Tests keep the memory store unless they ask for RocksDB (the default elsewhere).
            "CITYOPS_STREAMS__STORE": "memory://",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Worker:
    """`cityops worker` in a child process, as an operator would run it."""

    settings: Settings
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    #: Its state folder under `settings.state_dir` (a host's disk): a worker started again
    #: with the same name finds the RocksDB tables its predecessor left. Default: its own.
    state: str = ""
    #: Where its /health and /metrics answer.
    web_port: int = field(default_factory=free_port)

    def start(self) -> Worker:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cityops.cli.main", "worker", "--web-port", str(self.web_port)],
            # Each its own state folder: two workers' RocksDB stores cannot share one.
            env=worker_env(
                self.settings,
                CITYOPS_STATE_DIR=str(self.settings.state_dir / (self.state or self.log_path.stem)),
                **self.extra_env,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def pipeline_settings(settings: Settings) -> Settings:
    client = make_client(settings.clickhouse, migrator=True)
    migrate(client, settings.clickhouse.database)
    load_reference(client, settings.clickhouse.database, read_reference(settings.reference_dir))
    client.disconnect()
    init_topics(settings)  # what `cityops kafka init` does
    return settings


@pytest.fixture
def start_worker(pipeline_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*, state: str = "", **extra_env: str) -> Worker:
        """A worker process; `state` names its state folder, to start one again on the
        folder a previous one left (as a restarted host would)."""
        worker = Worker(
            pipeline_settings, tmp_path / f"worker-{len(started)}.log", extra_env, state=state
        )
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def ch(pipeline_settings: Settings) -> Iterator[Any]:
    client = make_client(pipeline_settings.clickhouse)
    yield client
    client.disconnect()

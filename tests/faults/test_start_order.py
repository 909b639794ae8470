"""Components started before their servers exist at all (`make test-faults`).

A worker and a webhook receiver are started against the addresses of a second Kafka and
ClickHouse that are not running; each logs one line per missing server and waits. Then the
second stack is started from nothing (deploy/local with its own data directory and ports),
`cityops db migrate` and `cityops kafka init` run, and both components work without a
restart: an event posted to the receiver is in the second ClickHouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cityops import localstack
from cityops.contract import PaymentEvent
from cityops.db.client import make_client
from cityops.db.tables import PAYMENT_EVENTS
from cityops.settings import Settings
from connectors.adapters.push.sender import post_signed
from connectors.testing.samples import contract_event
from tests.conftest import REPO_ROOT
from tests.support.pipeline import Worker, free_port, wait_until, worker_env

CLI = [sys.executable, "-m", "cityops.cli.main"]


@pytest.fixture
def second_stack(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a stack that is not started yet (ports where nothing listens);
    stopped afterwards."""
    ports = {
        name: str(free_port())
        for name in (
            "CITYOPS_KAFKA_PORT",
            "CITYOPS_KAFKA_CONTROLLER_PORT",
            "CITYOPS_CH_TCP_PORT",
            "CITYOPS_CH_HTTP_PORT",
        )
    }
    env = {**os.environ, **ports, "CITYOPS_STACK_DIR": str(tmp_path / "stack")}
    # Its accounts get the main stack's passwords, which the test's settings carry.
    env.update(localstack.password_env(localstack.clickhouse_settings()))
    yield env
    subprocess.run([str(REPO_ROOT / "deploy/local/stack.sh"), "down"], env=env, timeout=120)


def test_worker_and_receiver_started_before_the_servers_exist(
    settings: Settings, second_stack: dict[str, str], tmp_path: Path
) -> None:
    late = settings.model_copy(deep=True)
    late.kafka.bootstrap_servers = f"127.0.0.1:{second_stack['CITYOPS_KAFKA_PORT']}"
    late.clickhouse.port = int(second_stack["CITYOPS_CH_TCP_PORT"])
    kafka_down = f"Kafka is not reachable at {late.kafka.bootstrap_servers}"
    clickhouse_down = f"ClickHouse is not reachable at 127.0.0.1:{late.clickhouse.port}"

    worker = Worker(late, tmp_path / "worker.log").start()
    hook_port, secret = free_port(), "bank-a-webhook-secret-of-32-bytes-at-least"
    config = tmp_path / "receiver.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "connectors": {
                    "payment": {"source": "hooks", "port": hook_port, "secrets": {"bank-a": secret}}
                }
            }
        )
    )
    receiver_log = tmp_path / "receiver.log"
    with receiver_log.open("wb") as out:
        receiver = subprocess.Popen(
            [*CLI, "connectors", "run", "payment", "--config", str(config)],
            env=worker_env(late),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: kafka_down in worker.log_path.read_text(), 60)
        wait_until(lambda: kafka_down in receiver_log.read_text(), 60)

        up = subprocess.run(
            [str(REPO_ROOT / "deploy/local/stack.sh"), "up"],
            env=second_stack,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        started = time.monotonic()
        for command in (["db", "migrate"], ["kafka", "init"]):
            result = subprocess.run(
                [*CLI, *command], env=worker_env(late), capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr

        wait_until(lambda: "receiving webhooks" in receiver_log.read_text(), 60)
        event = contract_event("payment", "bank-a", 3)
        url = f"http://127.0.0.1:{hook_port}/webhooks/bank-a"
        status, answer = post_signed(url, secret, event.to_json_bytes())
        assert status == 200, answer

        client = make_client(late.clickhouse)
        table = f"{late.clickhouse.database}.{PAYMENT_EVENTS.name}"

        def stored() -> list[tuple[str]]:
            return client.execute(f"SELECT event_id FROM {table}")

        rows = wait_until(stored, 120, describe=worker.log_tail)
        print(
            f"\nfirst event in ClickHouse {time.monotonic() - started:.1f} s after the stack was up"
        )
        client.disconnect()
        assert rows == [(PaymentEvent.model_validate_json(event.to_json_bytes()).event_id,)]
        worker_text, receiver_text = worker.log_path.read_text(), receiver_log.read_text()
        assert worker_text.count(kafka_down) == 1 and worker_text.count(clickhouse_down) <= 1
        assert receiver_text.count(kafka_down) == 1
        assert "Traceback" not in worker_text + receiver_text
    finally:
        worker.stop()
        receiver.send_signal(signal.SIGTERM)
        try:
            receiver.wait(60)
        except subprocess.TimeoutExpired:
            receiver.kill()

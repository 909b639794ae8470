"""Any component, any order: each is started before what it needs.

A one-shot command with its server down exits 1 with one line (server, address, fix). A
long-running one logs one line per missing thing and waits: here the servers appear later at
the address the component was given (a proxy to this stack's server starts listening on a
port where nothing listened), then the schema, then the topics.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cityops import localstack
from cityops.contract import PAYMENT, PaymentEvent
from cityops.db.client import make_client
from cityops.db.migrate import load_reference, migrate
from cityops.db.tables import PAYMENT_EVENTS
from cityops.reference import load_reference as read_reference
from cityops.settings import Settings
from connectors.adapters.push.sender import post_signed
from connectors.testing.harness import read_topic
from connectors.testing.samples import contract_event
from tests.support.feeding import publish
from tests.support.pipeline import Worker, free_port, wait_until, worker_env
from tests.support.tcpproxy import TcpProxy

CLI = [sys.executable, "-m", "cityops.cli.main"]


def elsewhere(settings: Settings) -> Settings:
    """The same settings, with Kafka and ClickHouse at ports where nothing listens yet."""
    late = settings.model_copy(deep=True)
    late.kafka.bootstrap_servers = f"127.0.0.1:{free_port()}"
    late.clickhouse.port = free_port()
    return late


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("command", "server"),
    [
        (["kpi"], "ClickHouse"),
        (["db", "migrate"], "ClickHouse"),
        (["kafka", "init"], "Kafka"),
        (["connectors", "import", "payment", "{file}", "--source", "bank-a"], "Kafka"),
        (["simulate", "--day", "2025-03-12", "--limit", "5"], "Kafka"),
    ],
    ids=["kpi", "db-migrate", "kafka-init", "connectors-import", "simulate"],
)
def test_one_shot_command_with_its_server_down_says_so_in_one_line(
    settings: Settings, tmp_path: Path, command: list[str], server: str
) -> None:
    late = elsewhere(settings)
    rows = tmp_path / "payments.jsonl"
    rows.write_bytes(contract_event("payment", "bank-a", 1).to_json_bytes() + b"\n")
    args = [part.replace("{file}", str(rows)) for part in command]
    env = worker_env(late)

    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)

    address = (
        late.kafka.bootstrap_servers if server == "Kafka" else f"127.0.0.1:{late.clickhouse.port}"
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[-1]], result.stderr
    assert f"{server} is not reachable at {address}" in lines[0]
    assert "make stack-up" in lines[0]


def test_debug_shows_the_traceback_instead(settings: Settings) -> None:
    env = worker_env(elsewhere(settings))
    debug = subprocess.run(
        [*CLI, "--debug", "kpi"], env=env, capture_output=True, text=True, timeout=120
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "ServerDown" in debug.stderr


def test_worker_started_before_everything_waits_then_processes_within_seconds(
    settings: Settings, tmp_path: Path
) -> None:
    late = elsewhere(settings)
    worker = Worker(late, tmp_path / "worker.log").start()
    proxies: list[TcpProxy] = []

    def log() -> str:
        return worker.log_path.read_text(errors="replace")

    def logged(text: str) -> bool:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        return text in log()

    kafka_down = f"Kafka is not reachable at {late.kafka.bootstrap_servers}"
    clickhouse_down = f"ClickHouse is not reachable at 127.0.0.1:{late.clickhouse.port}"
    try:
        wait_until(lambda: logged(kafka_down), 60, describe=worker.log_tail)
        time.sleep(4)  # several retries, still one line
        proxies.append(TcpProxy(localstack.kafka_port(), listen_port=port_of(kafka_down)))
        wait_until(lambda: logged(clickhouse_down), 60, describe=worker.log_tail)
        proxies.append(TcpProxy(localstack.clickhouse_port(), listen_port=late.clickhouse.port))
        wait_until(lambda: logged("run `cityops db migrate`"), 60, describe=worker.log_tail)

        client = make_client(settings.clickhouse, migrator=True)
        migrate(client, settings.clickhouse.database)
        load_reference(client, settings.clickhouse.database, read_reference(settings.reference_dir))
        wait_until(lambda: logged("run `cityops kafka init`"), 60, describe=worker.log_tail)

        init = subprocess.run(
            [*CLI, "kafka", "init"], env=worker_env(settings), capture_output=True, text=True
        )
        assert init.returncode == 0, init.stderr
        initialised = time.monotonic()
        events = [contract_event("payment", "bank-a", n) for n in range(20)]
        publish(settings, events)

        def stored() -> bool:
            table = f"{settings.clickhouse.database}.{PAYMENT_EVENTS.name}"
            return client.execute(f"SELECT uniqExact(event_id) FROM {table}")[0][0] == 20

        wait_until(stored, 120, describe=worker.log_tail)
        elapsed = time.monotonic() - initialised
        print(f"\nworker started first: events in ClickHouse {elapsed:.1f} s after kafka init")
        client.disconnect()
        text = log()
        for line in (kafka_down, clickhouse_down, "`cityops db migrate`", "`cityops kafka init`"):
            assert text.count(line) == 1, f"{line!r} logged {text.count(line)} times"
        assert "Traceback" not in text
    finally:
        worker.stop()
        for proxy in proxies:
            proxy.close()


def test_webhook_receiver_started_before_kafka_waits_then_accepts(
    settings: Settings, tmp_path: Path
) -> None:
    late = elsewhere(settings)
    port, secret = free_port(), "bank-a-webhook-secret-of-32-bytes-at-least"
    config = tmp_path / "cityops.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "kafka": {
                    "namespace": settings.kafka.namespace,
                    "bootstrap_servers": late.kafka.bootstrap_servers,
                },
                "state_dir": str(settings.state_dir),
                "connectors": {
                    "payment": {"source": "hooks", "port": port, "secrets": {"bank-a": secret}}
                },
            }
        )
    )
    log_path = tmp_path / "receiver.log"
    env = worker_env(settings)
    del env["CITYOPS_KAFKA__BOOTSTRAP_SERVERS"]  # from the file: nothing listens there yet
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "connectors", "run", "payment", "--config", str(config)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proxy = None
    down = f"Kafka is not reachable at {late.kafka.bootstrap_servers}"
    try:
        wait_until(lambda: down in log_path.read_text(), 60, describe=log_path.read_text)
        time.sleep(4)  # several retries, still one line
        proxy = TcpProxy(localstack.kafka_port(), listen_port=port_of(down))
        wait_until(lambda: "receiving webhooks" in log_path.read_text(), 60)
        event = contract_event("payment", "bank-a", 7)
        url = f"http://127.0.0.1:{port}/webhooks/bank-a"
        status, answer = post_signed(url, secret, event.to_json_bytes())
        assert status == 200, answer
        records = read_topic(settings.kafka, PAYMENT.name(settings.kafka.namespace))
        assert [PaymentEvent.model_validate_json(r.value) for r in records] == [event]
        assert log_path.read_text().count(down) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        if proxy is not None:
            proxy.close()

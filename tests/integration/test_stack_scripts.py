"""The local stack scripts on a private copy of the stack (own folder, own ports), so the
shared servers of the other tests are never touched: start is idempotent, stop stops, and a
restart finds the data it had."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from cityops import localstack
from cityops.db.client import make_client
from cityops.settings import ClickHouseSettings
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "deploy" / "local" / "stack.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_stack(stack: None, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = dict(os.environ)
    ports = {
        "CITYOPS_KAFKA_PORT": free_port(),
        "CITYOPS_KAFKA_CONTROLLER_PORT": free_port(),
        "CITYOPS_CH_TCP_PORT": free_port(),
        "CITYOPS_CH_HTTP_PORT": free_port(),
    }
    env.update({k: str(v) for k, v in ports.items()})
    env["CITYOPS_STACK_DIR"] = str(tmp_path / "stack")
    env["CITYOPS_KAFKA_HEAP"] = "-Xmx512m -Xms128m"

    log = tmp_path / "stack-script.log"

    def run(action: str) -> subprocess.CompletedProcess[str]:
        # Output to a file, not a pipe: the servers started in the background must not hold
        # a pipe of this test open.
        with log.open("w") as out:
            result = subprocess.run(
                [str(SCRIPT), action],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                # A hang guard, not a timing: a start took over 180 s at load average 18-30.
                timeout=600,
            )
        result.stdout = log.read_text()
        return result

    yield run, ports
    run("down")


def test_start_twice_stop_and_restart_on_existing_data(private_stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run, ports = private_stack
    first = run("up")
    assert first.returncode == 0, first.stdout
    second = run("up")
    assert second.returncode == 0
    assert "already running" in second.stdout  # a second start is a no-op

    bootstrap = f"127.0.0.1:{ports['CITYOPS_KAFKA_PORT']}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic("kept-across-restarts", 1, 1)])
    admin.close()
    # The private stack generated its own passwords at its first start, in its own folder.
    passwords = localstack.account_passwords(tmp_path / "stack")
    assert all(passwords.values()) and passwords != localstack.account_passwords()
    migrator = ClickHouseSettings(port=ports["CITYOPS_CH_TCP_PORT"], **passwords)
    clickhouse = make_client(migrator, migrator=True)
    clickhouse.execute("CREATE TABLE default.kept (x UInt8) ENGINE = MergeTree ORDER BY x")
    clickhouse.execute("INSERT INTO default.kept (x) VALUES", [(7,)])
    clickhouse.disconnect()

    assert run("down").returncode == 0
    assert run("status").returncode == 3  # stopped
    for port in (ports["CITYOPS_KAFKA_PORT"], ports["CITYOPS_CH_TCP_PORT"]):
        with pytest.raises(OSError):  # really stopped: nothing listens any more
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    again = run("up")
    assert again.returncode == 0, again.stdout
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    assert "kept-across-restarts" in admin.list_topics()
    admin.close()
    clickhouse = make_client(migrator, migrator=True)
    assert clickhouse.execute("SELECT x FROM default.kept") == [(7,)]
    clickhouse.disconnect()


def test_a_port_taken_by_another_server_fails_clearly(private_stack) -> None:  # type: ignore[no-untyped-def]
    """Another checkout's Kafka on our port must not pass for ours (health would answer)."""
    run, ports = private_stack
    port = ports["CITYOPS_KAFKA_PORT"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = run("up")
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is taken by a process this stack did not start" in result.stdout


def test_cli_up_with_the_running_replica_count_is_a_no_op(stack: None) -> None:
    """`cityops stack up --clickhouse-replicas N` reaches the real script, which takes the
    count it already runs as nothing to do (another count would restart the shared servers)."""
    from typer.testing import CliRunner

    from cityops import localstack
    from cityops.cli.main import app

    stack_dir = REPO_ROOT / ".stack"
    count = localstack.clickhouse_replicas(stack_dir)
    pid = (stack_dir / "clickhouse" / "clickhouse.pid").read_text()
    result = CliRunner().invoke(app, ["stack", "up", "--clickhouse-replicas", str(count)])
    assert result.exit_code == 0, result.output
    assert localstack.clickhouse_replicas(stack_dir) == count
    assert (stack_dir / "clickhouse" / "clickhouse.pid").read_text() == pid, "restarted"

"""`cityops stack up` hands its sizes to deploy/local/stack.sh as the script spells them
(a stand-in script records the arguments; the real script's handling of them is exercised
by `make test-faults`, which starts two replicas, and tests/integration/test_stack_scripts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cityops.cli import stack
from cityops.cli.main import app


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: Any) -> Path:
    args = tmp_path / "args"
    script = tmp_path / "stack.sh"
    script.write_text(f'#!/bin/sh\necho "$@" > {args}\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(stack, "SCRIPT", script)
    monkeypatch.setattr(stack, "ensure_local_secrets", lambda: None)
    return args


def test_up_passes_the_clickhouse_replicas(recorded: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--clickhouse-replicas", "2"])
    assert result.exit_code == 0, result.output
    assert recorded.read_text().split() == ["up", "--brokers", "1", "--clickhouse-replicas", "2"]


def test_up_without_a_count_keeps_the_last_one(recorded: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--brokers", "3"])
    assert result.exit_code == 0, result.output
    assert recorded.read_text().split() == ["up", "--brokers", "3"]


@pytest.mark.parametrize("count", ["0", "10"])
def test_a_count_the_script_cannot_start_is_refused(recorded: Path, count: str) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--clickhouse-replicas", count])
    assert result.exit_code == 2
    assert "--clickhouse-replicas" in result.output
    assert not recorded.exists()


def test_help_explains_the_replicas() -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--clickhouse-replicas" in result.output and "ZooKeeper" in result.output

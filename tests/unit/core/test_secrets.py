"""No usable default secrets outside the local stack (cityops/secretcheck.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.secretcheck import InsecureSettings, MissingSecret, write_local_secrets
from cityops.settings import ClickHouseSettings, Settings, load_settings
from connectors.payment.connector import PaymentConnector
from connectors.testing.fakes import FakeProducer

STRONG = "f" * 64


@pytest.fixture
def stack_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CITYOPS_STACK_DIR", str(tmp_path))
    # Recorded as absent, so that whatever a test (or a *_FILE) sets is undone afterwards.
    for name in (
        "CITYOPS_ENV",
        "CITYOPS_HASH_KEY",
        "CITYOPS_CONFIG",
        "CITYOPS_CLICKHOUSE__PASSWORD",
        "CITYOPS_CLICKHOUSE__READER_PASSWORD",
        "CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _production(monkeypatch: pytest.MonkeyPatch, **secrets: str) -> None:
    monkeypatch.setenv("CITYOPS_ENV", "production")
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)


def test_production_refuses_every_shipped_default_on_one_line(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _production(monkeypatch)
    with pytest.raises(InsecureSettings) as refused:
        load_settings()
    message = str(refused.value)
    assert "\n" not in message
    assert "CITYOPS_HASH_KEY" in message and "hash_key (the shipped" in message
    assert Settings.model_fields["hash_key"].default.get_secret_value() not in message


def test_production_refuses_a_short_secret_and_starts_with_strong_ones(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _production(
        monkeypatch,
        CITYOPS_HASH_KEY="too-short",
        CITYOPS_CLICKHOUSE__PASSWORD=STRONG,
        CITYOPS_CLICKHOUSE__READER_PASSWORD=STRONG,
        CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD=STRONG,
    )
    with pytest.raises(InsecureSettings, match=r"hash_key \(shorter than 16"):
        load_settings()
    monkeypatch.setenv("CITYOPS_HASH_KEY", STRONG)
    assert load_settings().hash_key.get_secret_value() == STRONG


def test_the_local_stack_generates_its_secrets_once_and_local_processes_read_them(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = stack_dir / "secrets.env"
    assert write_local_secrets(path) and not write_local_secrets(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    generated = load_settings().hash_key
    assert generated != Settings.model_fields["hash_key"].default
    assert len(generated.get_secret_value()) == 64
    assert load_settings().hash_key == generated, "kept, not regenerated"
    _production(
        monkeypatch,
        CITYOPS_CLICKHOUSE__PASSWORD=STRONG,
        CITYOPS_CLICKHOUSE__READER_PASSWORD=STRONG,
        CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD=STRONG,
    )
    with pytest.raises(InsecureSettings, match="hash_key"):
        load_settings()  # production never reads the local stack's file


def test_secrets_can_come_from_files(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "hash_key").write_text(STRONG + "\n")
    (tmp_path / "writer").write_text(STRONG)
    _production(
        monkeypatch,
        CITYOPS_HASH_KEY_FILE=str(tmp_path / "hash_key"),
        CITYOPS_CLICKHOUSE__PASSWORD_FILE=str(tmp_path / "writer"),
        CITYOPS_CLICKHOUSE__READER_PASSWORD=STRONG,
        CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD=STRONG,
    )
    settings = load_settings()
    assert settings.hash_key.get_secret_value() == STRONG
    assert settings.clickhouse.password.get_secret_value() == STRONG
    monkeypatch.delenv("CITYOPS_HASH_KEY")
    monkeypatch.setenv("CITYOPS_HASH_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(InsecureSettings, match="CITYOPS_HASH_KEY_FILE: cannot read"):
        load_settings()


def test_a_command_in_production_exits_with_the_one_line(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _production(monkeypatch)
    result = CliRunner().invoke(app, ["kpi"])
    assert result.exit_code == 2
    assert "refusing to start in production" in result.output and "Traceback" not in result.output


def test_a_connector_in_production_refuses_a_weak_webhook_secret(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        hash_key=SecretStr(STRONG),
        clickhouse=ClickHouseSettings(
            password=SecretStr(STRONG), reader_password=SecretStr(STRONG)
        ),
        state_dir=tmp_path,
    )
    config = {"source": "paygov", "secrets": {"paygov": "secret"}}
    with pytest.raises(InsecureSettings, match=r"connector payment: secrets\.paygov"):
        PaymentConnector(config, settings, producer=FakeProducer())
    config["secrets"] = {"paygov": STRONG}
    PaymentConnector(config, settings, producer=FakeProducer())


def test_the_local_stack_adds_the_clickhouse_passwords_to_an_older_secrets_file(
    stack_dir: Path,
) -> None:
    path = stack_dir / "secrets.env"
    path.write_text(f"CITYOPS_HASH_KEY={STRONG}\n")
    written = write_local_secrets(path)
    assert written == [
        "CITYOPS_CLICKHOUSE__PASSWORD",
        "CITYOPS_CLICKHOUSE__READER_PASSWORD",
        "CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD",
    ]
    settings = load_settings()
    assert settings.hash_key.get_secret_value() == STRONG, "the existing key is kept"
    passwords = {settings.clickhouse.secret(name) for name in ClickHouseSettings.PASSWORDS}
    assert len(passwords) == 3 and all(len(p) == 64 for p in passwords)
    assert write_local_secrets(path) == []


def test_no_password_has_a_default_and_a_missing_one_is_named(stack_dir: Path) -> None:
    clickhouse = load_settings().clickhouse  # no secrets file: nothing generated yet
    with pytest.raises(MissingSecret, match=r"^clickhouse\.migrator_password is not set: set "):
        clickhouse.secret("migrator_password")
    result = subprocess.run(
        [sys.executable, "-m", "cityops.cli.main", "db", "accounts", "--print"],
        capture_output=True,
        text=True,
        env={**os.environ, "CITYOPS_STACK_DIR": str(stack_dir)},
    )
    assert result.returncode == 2
    assert "clickhouse.migrator_password is not set" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_production_refuses_a_weak_password_and_needs_only_those_it_uses(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _production(monkeypatch, CITYOPS_HASH_KEY=STRONG, CITYOPS_CLICKHOUSE__PASSWORD="cityops_writer")
    with pytest.raises(InsecureSettings, match=r"clickhouse\.password \(shorter than 16"):
        load_settings()
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__PASSWORD", STRONG)
    clickhouse = load_settings().clickhouse  # a worker: the writer's password only
    assert clickhouse.secret("password") == STRONG
    with pytest.raises(MissingSecret, match="CITYOPS_CLICKHOUSE__READER_PASSWORD"):
        clickhouse.secret("reader_password")

"""The committed Grafana files are exactly what the generator writes, and render is clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from cityops.cli.main import app
from dashboards import provisioning
from dashboards.alerting.notify import DUTY_OFFICERS, Recipients
from dashboards.render import COMPOSE_DIR, rendered_files

REPO = Path(__file__).resolve().parents[3]


def test_committed_compose_files_match_the_generator() -> None:
    committed_dir = REPO / COMPOSE_DIR
    expected = rendered_files()
    for relative, content in expected.items():
        path = committed_dir / relative
        assert path.is_file(), f"{path} missing: run `cityops dashboards render`"
        assert path.read_text(encoding="utf-8") == content, (
            f"{path} drifted from dashboards/: run `cityops dashboards render`"
        )
    on_disk = {p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()}
    assert on_disk == set(expected), f"stale files: {on_disk - set(expected)}"


def test_render_command_writes_loadable_files_and_drops_stale_ones(tmp_path: Path) -> None:
    stale = tmp_path / "dashboards" / "old-board.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["dashboards", "render", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    boards = [json.loads(p.read_text()) for p in (tmp_path / "dashboards").glob("*.json")]
    assert {b["uid"] for b in boards} >= {"cityops-wall"}
    alerting = yaml.safe_load((tmp_path / "provisioning/alerting/cityops.yaml").read_text())
    assert alerting == provisioning.alerting_file(Recipients()), "YAML must load back as built"
    assert alerting["apiVersion"] == 1 and alerting["groups"] and alerting["templates"]
    assert "policies" not in alerting, "no channel configured here: Grafana keeps its own"


def test_render_provisions_the_configured_channels(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CITYOPS_ALERTING__TELEGRAM_CHAT_ID", "-100123")
    monkeypatch.setenv("CITYOPS_ALERTING__TELEGRAM_BOT_TOKEN", "bot-secret-value")
    result = CliRunner().invoke(app, ["dashboards", "render", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "provisioning/alerting/cityops.yaml").read_text()
    alerting = yaml.safe_load(text)
    assert [r["type"] for p in alerting["contactPoints"] for r in p["receivers"]] == ["telegram"]
    assert alerting["policies"][0]["receiver"] == DUTY_OFFICERS
    assert "bot-secret-value" not in text, "secrets are references in files"

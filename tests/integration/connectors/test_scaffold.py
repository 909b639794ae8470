"""`cityops connectors new` makes a connector that passes the contract suite untouched."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.settings import Settings
from connectors.sdk import registry
from connectors.testing.suite import CHECKS, run_check


@pytest.fixture
def scaffolded(tmp_path: Path) -> Iterator[type]:
    result = CliRunner().invoke(
        app, ["connectors", "new", "hotline_demo", "--dir", str(tmp_path), "--family", "portal"]
    )
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("hotline_demo.connector")
        yield registry.get("hotline_demo")
        del module
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("hotline_demo")]:
            del sys.modules[name]
        registry.unregister("hotline_demo")


@pytest.mark.parametrize("check", list(CHECKS))
def test_scaffolded_connector_passes_the_suite(scaffolded: type, settings: Settings, check: str):
    run_check(CHECKS[check], scaffolded, settings)


def test_scaffold_refuses_bad_and_taken_names(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["connectors", "new", "Bad-Name", "--dir", str(tmp_path)]).exit_code
    assert runner.invoke(app, ["connectors", "new", "sdk", "--dir", str(tmp_path)]).exit_code
    ok = runner.invoke(app, ["connectors", "new", "twice", "--dir", str(tmp_path)])
    assert ok.exit_code == 0
    again = runner.invoke(app, ["connectors", "new", "twice", "--dir", str(tmp_path)])
    assert again.exit_code != 0 and "exists" in again.output

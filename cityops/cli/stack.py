"""`cityops stack`: the local Kafka + ClickHouse, through the same scripts CI uses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer

app = typer.Typer(help="Start, stop and check the local Kafka and ClickHouse (deploy/local).")

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"


def _run(action: str) -> None:
    if not SCRIPT.exists():
        raise typer.BadParameter(f"{SCRIPT} not found: run from a cityops checkout")
    raise typer.Exit(subprocess.call([str(SCRIPT), action]))


@app.command()
def up() -> None:
    """Install (first time), start and health-check Kafka and ClickHouse; a no-op when up."""
    _run("up")


@app.command()
def down() -> None:
    """Stop both servers gracefully; data stays under .stack/."""
    _run("down")


@app.command()
def status() -> None:
    """Say whether each server runs (exit 3 when one is stopped)."""
    _run("status")


@app.command()
def health() -> None:
    """Run the health checks: create+list a topic, SELECT 1."""
    _run("health")

"""`cityops stack`: the local Kafka + ClickHouse, through the same scripts CI uses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer

from cityops.secretcheck import write_local_secrets
from cityops.settings import local_secrets_file

app = typer.Typer(help="Start, stop and check the local Kafka and ClickHouse (deploy/local).")

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"


def _run(action: str, *args: str) -> None:
    if not SCRIPT.exists():
        raise typer.BadParameter(f"{SCRIPT} not found: run from a cityops checkout")
    raise typer.Exit(subprocess.call([str(SCRIPT), action, *args]))


def ensure_local_secrets() -> None:
    """Generate the local stack's secrets (`hash_key`) once; every local process reads them."""
    path = local_secrets_file()
    if write_local_secrets(path):
        typer.echo(f"generated the local stack's secrets in {path}", err=True)


@app.command()
def up(
    brokers: int = typer.Option(
        1,
        min=1,
        help="Kafka brokers: 3 starts a KRaft cluster (combined broker+controller nodes, one "
        "port pair and data folder each) that survives the loss of one; stop the stack first "
        "to switch between sizes.",
    ),
    clickhouse_replicas: int | None = typer.Option(
        None,
        min=1,
        max=9,
        help="ClickHouse servers: 2 or more start that many replicas of one shard (own "
        "ports and data folder each, cluster 'cityops') and a ZooKeeper; 1 is the single "
        "server. Default: the count the stack last started. Asking another count restarts "
        "ClickHouse (data stays). See docs/operations.md, 'ClickHouse replicas'.",
    ),
) -> None:
    """Install (first time), start and health-check Kafka and ClickHouse; a no-op when up.
    Also generates the local secrets (see `cityops stack secrets`)."""
    ensure_local_secrets()
    replicas = (
        [] if clickhouse_replicas is None else ["--clickhouse-replicas", str(clickhouse_replicas)]
    )
    _run("up", "--brokers", str(brokers), *replicas)


@app.command()
def secrets() -> None:
    """Create .stack/secrets.env (a random hash_key, read by every local cityops process)
    unless it exists; production mode never reads it."""
    ensure_local_secrets()


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

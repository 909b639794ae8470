"""`cityops stack`: the local Kafka + ClickHouse, through the same scripts CI uses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer

from cityops.secretcheck import write_compose_secrets, write_local_secrets
from cityops.settings import local_secrets_file

app = typer.Typer(help="Start, stop and check the local Kafka and ClickHouse (deploy/local).")

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"


def _run(action: str, *args: str) -> None:
    if not SCRIPT.exists():
        raise typer.BadParameter(f"{SCRIPT} not found: run from a cityops checkout")
    raise typer.Exit(subprocess.call([str(SCRIPT), action, *args]))


def ensure_local_secrets() -> None:
    """Generate the local stack's secrets (`hash_key`, the ClickHouse passwords) once; every
    local process reads them, and the local ClickHouse's accounts are rendered from them."""
    path = local_secrets_file()
    written = write_local_secrets(path)
    if written:
        typer.echo(f"generated the local stack's {', '.join(written)} in {path}", err=True)


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
def secrets(
    compose: Path | None = typer.Option(
        None,
        "--compose",
        help="Instead, create the secret files this compose file declares (e.g. "
        "deploy/compose/docker-compose.yml: its secrets/ folder), each random, keeping those "
        "that exist.",
        exists=True,
        dir_okay=False,
    ),
) -> None:
    """Create .stack/secrets.env (a random hash_key and ClickHouse account passwords, read by
    every local cityops process and rendered into the local ClickHouse's accounts), or add
    what it lacks; existing values are kept. Production mode never reads it."""
    if compose is None:
        ensure_local_secrets()
        return
    written = write_compose_secrets(compose)
    folder = compose.parent
    typer.echo(f"wrote {', '.join(written) or 'nothing (all exist)'} next to {folder}", err=True)


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

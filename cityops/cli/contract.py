"""`cityops contract`: the event contract for humans and non-Python sources."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cityops.contract import ALL_TOPICS
from cityops.contract.jsonschema import SCHEMA_DIR, write_schemas

app = typer.Typer(help="Show the contract's topics and export its JSON Schemas.")


@app.command()
def topics(namespace: str = typer.Option("", help="Topic namespace prefix.")) -> None:
    """List the contract's topics with their keys and partitions (`kafka.partitions`: set by
    the deployment, see `cityops kafka init`)."""
    table = Table("topic", "key", "partitions", "model")
    for spec in ALL_TOPICS:
        model = spec.model.__name__ if spec.model else "DeadLetter"
        key = spec.model.key_field if spec.model else "source"
        table.add_row(spec.name(namespace), key, str(spec.partitions or "kafka.partitions"), model)
    Console().print(table)


@app.command()
def schemas(
    out: Path = typer.Option(SCHEMA_DIR, help="Folder to write <family>.schema.json into."),
    show: str = typer.Option("", help="Print one family's schema instead of writing files."),
) -> None:
    """Write JSON Schema files generated from the models (the checked-in copies)."""
    if show:
        from cityops.contract.jsonschema import schema_for

        typer.echo(json.dumps(schema_for(show), indent=2, ensure_ascii=False))
        return
    for path in write_schemas(out):
        typer.echo(f"wrote {path}")

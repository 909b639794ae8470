"""`cityops`: every component of the pipeline behind one command.

Each sub-command lives beside the component it drives; this module only mounts them.
"""

from __future__ import annotations

import typer

import streams.cli as streams_cli

from cityops.cli import contract, stack
from cityops.db import cli as db_cli

app = typer.Typer(
    name="cityops",
    help=(
        "cityops: the event pipeline of a provincial smart-city operations center.\n\n"
        "Connectors publish dossier, payment and portal events to Kafka; stream workers keep "
        "live KPIs and alerts in ClickHouse; Grafana shows them. Settings come from "
        "--config FILE / $CITYOPS_CONFIG and CITYOPS_* environment variables."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(stack.app, name="stack")
app.add_typer(contract.app, name="contract")
app.add_typer(db_cli.app, name="db")
app.command("worker")(streams_cli.worker)
app.command("kpi")(streams_cli.kpi)


if __name__ == "__main__":
    app()

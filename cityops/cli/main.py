"""`cityops`: every component of the pipeline behind one command.

Each sub-command lives beside the component it drives; this module only mounts them.
"""

from __future__ import annotations

import typer

import streams.cli as streams_cli
from cityops.cli import contract, demo, stack
from cityops.db import cli as db_cli
from connectors import cli as connectors_cli
from connectors.simulator import cli as simulator_cli
from dashboards import cli as dashboards_cli
from streams.deadletters import cli as deadletters_cli

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
app.add_typer(connectors_cli.app, name="connectors")
app.add_typer(dashboards_cli.app, name="dashboards")
app.add_typer(deadletters_cli.app, name="deadletters")
app.command("worker")(streams_cli.worker)
app.command("kpi")(streams_cli.kpi)
app.command("demo")(demo.demo)
app.command("simulate", help=simulator_cli.HELP)(simulator_cli.simulate)


if __name__ == "__main__":
    app()

"""`cityops`: every component of the pipeline behind one command.

Each sub-command lives beside the component it drives; this module only mounts them, and
turns a server that is down into one line (`main`).
"""

from __future__ import annotations

import sys

import typer

import streams.cli as streams_cli
from cityops import servers
from cityops.cli import contract, demo, kafka, stack
from cityops.cli.common import console, loaded_settings
from cityops.db import cli as db_cli
from cityops.kafka_topics import TopicMismatch
from cityops.secretcheck import MissingSecret
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
app.add_typer(kafka.app, name="kafka")
app.add_typer(contract.app, name="contract")
app.add_typer(db_cli.app, name="db")
app.add_typer(connectors_cli.app, name="connectors")
app.add_typer(dashboards_cli.app, name="dashboards")
app.add_typer(deadletters_cli.app, name="deadletters")
app.command("worker")(streams_cli.worker)
app.command("kpi")(streams_cli.kpi)
app.command("demo")(demo.demo)
app.command("simulate", help=simulator_cli.HELP)(simulator_cli.simulate)

_debug: list[bool] = [False]


@app.callback()
def options(
    debug: bool = typer.Option(
        False,
        "--debug",
        envvar="CITYOPS_DEBUG",
        help="Show the traceback of a failure instead of its one-line summary.",
    ),
) -> None:
    """cityops: see the commands below; `cityops COMMAND --help` explains each."""
    _debug[0] = debug


def main() -> None:
    """The `cityops` entry point: a server that is down, or a topic that does not match its
    settings, is one line naming what and where, and exit status 1 (the traceback only with
    `--debug`); a secret a client needs and nobody set (a ClickHouse password outside the
    local stack) is one line naming the setting, and exit status 2 like a weak one; any other
    failure keeps its traceback."""
    try:
        app()
    except (servers.ServerDown, TopicMismatch) as exc:
        _fail(exc, exc)
    except MissingSecret as exc:
        _fail(exc, exc, status=2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        try:
            settings = loaded_settings()
        except Exception:  # settings that do not load: the original failure says more
            raise exc from None
        down = servers.explain(exc, settings)
        if down is None:
            raise
        _fail(down, exc)


def _fail(summary: Exception, exc: Exception, status: int = 1) -> None:
    if _debug[0]:
        raise exc
    console.print(f"cityops: {summary}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(status)


if __name__ == "__main__":
    main()

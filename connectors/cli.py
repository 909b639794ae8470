"""`cityops connectors`: list, run, backfill and create connectors.

Connector settings live in the same YAML file as the rest of cityops, under
`connectors.<NAME>` (e.g. `connectors.dossier.base_url`); `--source` overrides the instance
name. Secrets there are SecretStr: they never show in logs or summaries.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cityops import servers
from cityops.cli.common import ConfigOption, console, refuse_to_start, setup
from cityops.secretcheck import InsecureSettings
from cityops.settings import CONFIG_ENV
from connectors import scaffold
from connectors.sdk import registry
from connectors.sdk.connector import Connector, format_validation_error

app = typer.Typer(
    help=(
        "Connectors publish source records (dossiers, payments, portal activity) to Kafka as "
        "contract events. Each is a module under connectors/; settings go under "
        "`connectors.<NAME>` in the --config YAML."
    ),
    no_args_is_help=True,
)

SourceOption = Annotated[
    str | None,
    typer.Option("--source", "-s", help="Instance name written into each event's `source`."),
]


def _connector_config(config_file: Path | None, name: str, source: str | None) -> dict[str, Any]:
    import os

    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    values: dict[str, Any] = {}
    if path is not None:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        values = dict((document.get("connectors") or {}).get(name) or {})
    if source:
        values["source"] = source
    if not values.get("source"):
        raise typer.BadParameter(
            f"no source name: set connectors.{name}.source in the config or pass --source"
        )
    return values


def _build(name: str, config: Path | None, source: str | None, *, wait: bool) -> Connector:
    """The connector, once Kafka answers: a long-running one (`wait`) waits for it, a one-shot
    command fails at once (one line, see cityops.servers)."""
    settings = setup(config)
    if wait:
        servers.await_servers(settings, logging.getLogger("cityops.connectors"), kafka=True)
    else:
        servers.require(settings, kafka=True)
    try:
        cls = registry.get(name)
    except registry.UnknownConnector as exc:
        raise typer.BadParameter(str(exc.args[0])) from None
    try:
        return cls(_connector_config(config, name, source), settings)
    except InsecureSettings as exc:
        refuse_to_start(exc)
    except ValidationError as exc:  # values are hidden in these errors (secrets)
        raise typer.BadParameter(f"connectors.{name}: {format_validation_error(exc)}") from None


def _summary(connector: Connector) -> Table:
    snapshot = connector.metrics.snapshot()
    table = Table("metric", "value", title=f"{connector.name} ({connector.config.source})")
    for key, value in snapshot.items():
        table.add_row(key, str(value))
    return table


@app.command("list")
def list_connectors() -> None:
    """Show every registered connector: its topic, how it reads, what it is for."""
    table = Table("name", "topic", "reads via", "description")
    for cls in registry.all_connectors():
        adapter = next(b.__name__ for b in cls.__mro__[1:] if b.__name__.endswith("Connector"))
        table.add_row(cls.name, cls.topic.base, adapter, cls.description)
    Console().print(table)


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="Connector name (see `cityops connectors list`).")],
    config: ConfigOption = None,
    source: SourceOption = None,
) -> None:
    """Run a connector until SIGTERM/SIGINT; in-flight events are flushed before it exits."""
    connector = _build(name, config, source, wait=True)
    try:
        connector.start()
    finally:
        console.print(_summary(connector))
    if connector.metrics.failed:
        raise typer.Exit(1)


@app.command("import")
def import_file(
    name: Annotated[str, typer.Argument(help="Connector whose mapping the rows go through.")],
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help=".csv, .jsonl/.ndjson, .json or .xlsx"),
    ],
    config: ConfigOption = None,
    source: SourceOption = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted import of the same file.")
    ] = True,
    encoding: Annotated[
        str,
        typer.Option(help="Text encoding of a .csv file, e.g. cp1258 for Windows-1258 exports."),
    ] = "utf-8",
) -> None:
    """Backfill from a file: each row is validated and published, bad rows dead-lettered."""
    from connectors.adapters.file import FileProblem
    from connectors.adapters.file import import_file as run_import

    connector = _build(name, config, source, wait=False)
    try:
        summary = run_import(connector, file, resume=resume, console=console, encoding=encoding)
    except FileProblem as exc:  # one line, no traceback: the file, where, and what to do
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    finally:
        connector.publisher.close()
    console.print(summary.table())


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="lower_snake_case name, e.g. `hotline`.")],
    family: Annotated[
        str, typer.Option(help="Contract topic it publishes: dossier, payment or portal.")
    ] = "portal",
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the package goes (default: connectors/).")
    ] = Path(scaffold.__file__).resolve().parents[1],
    force: Annotated[bool, typer.Option(help="Overwrite an existing package.")] = False,
) -> None:
    """Create a connector package from the template; it passes the contract suite as is."""
    try:
        written = scaffold.render(name, directory, family=family, force=force)
    except (ValueError, FileExistsError) as exc:
        raise typer.BadParameter(str(exc)) from None
    for path in written:
        typer.echo(f"wrote {path}")
    suites = "tests/unit/connectors tests/integration/connectors"
    typer.echo(f"next: edit {written[-1]}, then `pytest {suites} -k {name}`")

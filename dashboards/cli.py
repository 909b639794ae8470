"""`cityops dashboards`: render the Grafana files, or push them to a running Grafana."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cityops.cli.common import ConfigOption, console, setup
from dashboards.render import COMPOSE_DIR, render

app = typer.Typer(help="Grafana dashboards, alert rules and provisioning, generated from code.")


@app.command("render")
def render_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write dashboards/ and provisioning/ to.")
    ] = COMPOSE_DIR,
) -> None:
    """Write every dashboard as JSON plus Grafana's provisioning YAML (datasource, alerting)."""
    for path in render(out):
        console.print(f"wrote {path}")


@app.command("provision")
def provision_command(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. http://grafana:3000")],
    token: Annotated[
        str | None, typer.Option(envvar="GRAFANA_TOKEN", help="Service-account token.")
    ] = None,
    user: Annotated[str | None, typer.Option(envvar="GRAFANA_USER")] = None,
    password: Annotated[str | None, typer.Option(envvar="GRAFANA_PASSWORD")] = None,
    clickhouse_host: Annotated[
        str | None,
        typer.Option(help="ClickHouse host as Grafana reaches it (default: from settings)."),
    ] = None,
    webhook_url: Annotated[
        str, typer.Option(envvar="CITYOPS_ALERT_WEBHOOK_URL", help="Duty officers' webhook.")
    ] = "",
    email: Annotated[
        str,
        typer.Option(envvar="CITYOPS_ALERT_EMAIL", help="Operations mailbox(es), ';'-separated."),
    ] = "",
    config: ConfigOption = None,
) -> None:
    """Upsert the datasource, dashboards, contact points, policy and alert rules over the API."""
    from grafana_client import GrafanaApi

    from dashboards.alerting.notify import Recipients
    from dashboards.provision import provision
    from dashboards.provisioning import ClickHouseTarget

    settings = setup(config)
    if token:
        credential: str | tuple[str, str] | None = token
    elif user and password:
        credential = (user, password)
    else:
        raise typer.BadParameter("give --token, or --user and --password")
    if not webhook_url or not email:
        raise typer.BadParameter("give --webhook-url and --email (or their env variables)")
    ch = settings.clickhouse
    target = ClickHouseTarget(
        host=clickhouse_host or ch.host,
        port=ch.port,
        database=ch.database,
        user=ch.reader_user,
        password=ch.reader_password.get_secret_value(),
    )
    api = GrafanaApi.from_url(url, credential=credential)
    report = provision(api, target, Recipients(webhook_url=webhook_url, email=email))
    for kind, names in report.done.items():
        console.print(f"{kind}: {', '.join(names)}")

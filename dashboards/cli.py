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
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write dashboards/, provisioning/ and clickhouse-proxy/ to.",
        ),
    ] = COMPOSE_DIR,
    config: ConfigOption = None,
) -> None:
    """Write every dashboard as JSON plus Grafana's provisioning YAML (datasource, alerting)
    and the HAProxy config of the ClickHouse balancer the datasource goes through.

    Contact points exist only for the channels configured in settings (`alerting`:
    CITYOPS_ALERTING__EMAIL_TO with __SMTP_HOST, __TELEGRAM_CHAT_ID, __WEBHOOK_URL); secrets
    are written as references Grafana expands at start, never as values. The balancer
    (clickhouse-proxy/haproxy.cfg) fails over between the servers of `clickhouse.host`
    (CITYOPS_CLICKHOUSE__HOST), checked on `clickhouse.http_port`; into the default folder,
    the committed copy compose reviews, it is rendered for compose's own server.
    """
    from dashboards.alerting.notify import file_recipients

    settings = setup(config)
    clickhouse = None if out == COMPOSE_DIR else settings.clickhouse
    for path in render(out, settings.alerting, clickhouse):
        console.print(f"wrote {path}")
    if not file_recipients(settings.alerting).any:
        console.print(
            "[yellow]no notification channel configured: alerts show in Grafana but page "
            "no one (set CITYOPS_ALERTING__TELEGRAM_CHAT_ID, __WEBHOOK_URL or __EMAIL_TO)[/]"
        )


@app.command("layout")
def layout_command(
    uid: Annotated[str, typer.Argument(help="Dashboard uid, e.g. cityops-wall.")] = "cityops-wall",
) -> None:
    """Print a dashboard's grid as text (one line per grid row), with its height on screen."""
    from dashboards.boards import BUILDERS
    from dashboards.grid import bottom, height_px, text_capture

    if uid not in BUILDERS:
        raise typer.BadParameter(f"no dashboard {uid!r}; one of {', '.join(BUILDERS)}")
    panels = BUILDERS[uid]()["panels"]
    rows = bottom(panels)
    print(text_capture(panels))
    print(f"\n{rows} grid rows = {height_px(rows)} px")


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
    config: ConfigOption = None,
) -> None:
    """Upsert the datasource, dashboards, contact points, policy and alert rules over the API.

    Channels come from settings (`alerting`, e.g. CITYOPS_ALERTING__WEBHOOK_URL).
    """
    from grafana_client import GrafanaApi

    from dashboards.alerting.notify import api_recipients
    from dashboards.provision import provision
    from dashboards.provisioning import ClickHouseTarget

    settings = setup(config)
    if token:
        credential: str | tuple[str, str] | None = token
    elif user and password:
        credential = (user, password)
    else:
        raise typer.BadParameter("give --token, or --user and --password")
    recipients = api_recipients(settings.alerting)
    if not recipients.any:
        console.print("[yellow]no notification channel configured: nothing will page[/]")
    ch = settings.clickhouse
    # The datasource plugin takes one server (grafana/clickhouse-datasource#279): on a
    # cluster, --clickhouse-host names the balancer in front of the replicas.
    (first_host, first_port), *_ = ch.hosts
    target = ClickHouseTarget(
        host=clickhouse_host or first_host,
        port=first_port,
        database=ch.api_database,
        user=ch.reader_user,
        password=ch.secret("reader_password"),
    )
    api = GrafanaApi.from_url(url, credential=credential)
    report = provision(api, target, recipients)
    for kind, names in report.done.items():
        console.print(f"{kind}: {', '.join(names)}")

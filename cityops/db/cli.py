"""`cityops db`: create and upgrade the ClickHouse schema, load reference data."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from clickhouse_driver import Client
from rich.console import Console
from rich.table import Table

from cityops import servers
from cityops.cli.common import ConfigOption, setup
from cityops.db import migrate as migrations
from cityops.db import read_views
from cityops.db.accounts import access_sql, view_security_sql
from cityops.db.alert_tables import compact_alerts
from cityops.db.backfill import BackfillError, backfill
from cityops.db.client import make_client
from cityops.db.day_rollup import roll_changed
from cityops.db.dossier_rollup import DOSSIER_KPIS
from cityops.db.open_dossiers import compact_open
from cityops.db.payment_rollup import PAYMENTS
from cityops.db.tables import views_database
from cityops.reference import load_reference

app = typer.Typer(
    help="ClickHouse schema: versioned migrations, their status, and reference data.",
    no_args_is_help=True,
)


@app.command()
def migrate(
    config: ConfigOption = None,
    reference: bool = typer.Option(True, help="Also (re)load the reference tables."),
) -> None:
    """Create the database if needed, apply pending migrations, re-create the read-API views
    whose definition (cityops/db/views/) changed, then load reference data."""
    settings = setup(config)
    servers.require(settings, clickhouse=True)
    database = settings.clickhouse.database
    client = make_client(settings.clickhouse, migrator=True, send_receive_timeout=3600)
    try:
        try:
            done = migrations.migrate(
                client, database, cluster=settings.clickhouse.cluster, views=False
            )
            views = read_views.sync(
                client,
                database,
                views_database(database),
                cluster=settings.clickhouse.cluster,
            )
        except migrations.MigrationError as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(2) from exc
        for migration in done:
            typer.echo(f"applied {migration.version:03d}_{migration.name}")
        if views:
            typer.echo(f"views (re)created: {', '.join(views)}")
        if not done and not views:
            typer.echo(f"{database}: schema up to date")
        if done:
            # New aggregates see only what is inserted from now on: fill in the history
            # (each aggregate once; recorded in the backfills table).
            _echo_backfill(backfill(client, database))
        if reference:
            counts = migrations.load_reference(
                client,
                database,
                load_reference(settings.reference_dir),
                cluster=settings.clickhouse.cluster,
            )
            typer.echo("reference: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    finally:
        client.disconnect()


def _echo_backfill(seconds: dict[str, float]) -> None:
    done = ", ".join(f"{t} ({s:.1f} s)" for t, s in seconds.items())
    typer.echo(f"backfilled: {done or 'nothing left to do'}")


@app.command("backfill")
def backfill_command(
    config: ConfigOption = None,
    again: bool = typer.Option(
        False, "--again", help="Redo aggregates already backfilled (changes no figure)."
    ),
) -> None:
    """Fill the aggregate tables from the history in the raw tables; safe to re-run.

    `migrate` runs it after applying migrations; each aggregate is backfilled once unless
    --again (every aggregate is a max, an argMax or a set of distinct ids, and dossier rows
    carry their state's version, so a second pass changes no figure).
    """
    settings = setup(config)
    client = make_client(settings.clickhouse, migrator=True, send_receive_timeout=3600)
    try:
        _echo_backfill(backfill(client, settings.clickhouse.database, again=again))
    except BackfillError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        client.disconnect()


@app.command()
def status(config: ConfigOption = None) -> None:
    """List migrations, applied or pending; exit 1 if any is pending or was edited."""
    settings = setup(config)
    servers.require(settings, clickhouse=True)
    database = settings.clickhouse.database
    client = make_client(settings.clickhouse, migrator=True)
    try:
        rows = migrations.status(client, database, cluster=settings.clickhouse.cluster)
    finally:
        client.disconnect()
    table = Table("version", "name", "state", "applied at", title=database)
    unhealthy = False
    for migration, record in rows:
        if record is None:
            state, when, unhealthy = "pending", "", True
        elif record.checksum != migration.checksum:
            state, when, unhealthy = "CHANGED after apply", record.applied_at, True
        else:
            state, when = "applied", record.applied_at
        table.add_row(f"{migration.version:03d}", migration.name, state, when)
    Console().print(table)
    if unhealthy:
        raise typer.Exit(1)


@app.command("compact")
def compact(
    config: ConfigOption = None,
    every: Annotated[
        float,
        typer.Option(help="Repeat every this many seconds until stopped (0: once, then exit)."),
    ] = 0,
) -> None:
    """Drop closed dossiers from `dossier_open` and resolved alerts from `alerts_live`, so
    `v_dossier_open` and a query for firing alerts in `v_alerts` read what is open only, and
    roll up the settled days of the dossier KPIs and payments that changed, so
    `v_dossier_daily`, `v_dossier_agency_daily`, `v_payment_daily` and
    `v_payment_agency_daily` read their cells or agencies instead of every dossier or
    payment.

    Maintenance, run as the migrator: `OPTIMIZE` and `ALTER ... DELETE` are DDL, which the
    workers' account may not run (least privilege). Schedule it (`--every 600`: the demo and
    compose do); skipped runs only make those views read more closed rows, never wrong.
    """
    settings = setup(config)
    database = settings.clickhouse.database
    if not every:
        servers.require(settings, clickhouse=True)  # a one-shot: one line when it is down
    while True:
        try:
            client = make_client(settings.clickhouse, migrator=True, send_receive_timeout=600)
            try:
                compact_open(client, database)
                compact_alerts(client, database)
                rolled = roll_changed(client, database, DOSSIER_KPIS)
                paid = roll_changed(client, database, PAYMENTS)
            finally:
                client.disconnect()
            typer.echo(
                f"dossier_open and alerts_live of {database} compacted, "
                f"{rolled} settled days of dossier KPIs and {paid} of payments rolled up"
            )
        except Exception as error:
            if not every:
                raise
            # A long-running loop outlives an outage: one line, then the next round.
            typer.echo(f"compaction skipped: {str(error).splitlines()[0][:200]}", err=True)
        if not every:
            return
        time.sleep(every)


@app.command("load-reference")
def load_reference_command(config: ConfigOption = None) -> None:
    """Replace ref_agencies, ref_areas and ref_procedures with the CSVs of reference_dir."""
    settings = setup(config)
    servers.require(settings, clickhouse=True)
    client = make_client(settings.clickhouse, migrator=True)
    try:
        counts = migrations.load_reference(
            client,
            settings.clickhouse.database,
            load_reference(settings.reference_dir),
            cluster=settings.clickhouse.cluster,
        )
    finally:
        client.disconnect()
    typer.echo("reference: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


@app.command()
def accounts(
    config: ConfigOption = None,
    admin_user: str = typer.Option("default", help="An account with access management."),
    admin_password: str = typer.Option(
        "",
        envvar="CITYOPS_CLICKHOUSE_ADMIN_PASSWORD",
        help="Its password (or a file: CITYOPS_CLICKHOUSE_ADMIN_PASSWORD_FILE).",
        show_default=False,
    ),
    print_only: bool = typer.Option(False, "--print", help="Print the SQL instead of running it."),
) -> None:
    """Create or update the migrator, writer and reader accounts (ClickHouse 24.x+).

    Users, settings profiles with constraints, and grants, all from the settings.
    Passwords travel as SHA-256 hashes. Safe to run again: run it after each migration.
    Existing views are switched to read with the migrator's rights, as new ones do.
    ClickHouse 18.16 has no SQL access control: see deploy/local/clickhouse/users.d/.
    """
    settings = setup(config)
    # setup() has turned CITYOPS_CLICKHOUSE_ADMIN_PASSWORD_FILE (a compose secret) into the
    # variable, after the options were parsed.
    admin_password = admin_password or os.environ.get("CITYOPS_CLICKHOUSE_ADMIN_PASSWORD", "")
    statements = access_sql(settings.clickhouse)
    if print_only:
        typer.echo(";\n".join(statements) + ";")
        return
    client = Client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        user=admin_user,
        password=admin_password,
        connect_timeout=5,
        client_name="cityops",
    )
    try:
        for statement in statements:
            client.execute(statement)
        existing = client.execute(
            "SELECT name FROM system.tables WHERE database = %(db)s",
            {"db": settings.clickhouse.api_database},
        )
        for statement in view_security_sql(settings.clickhouse, {name for (name,) in existing}):
            client.execute(statement)
    finally:
        client.disconnect()
    typer.echo(
        f"accounts: {settings.clickhouse.migrator_user}, {settings.clickhouse.user}, "
        f"{settings.clickhouse.reader_user} ({len(statements)} statements)"
    )

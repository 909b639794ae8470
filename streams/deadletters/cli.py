"""`cityops deadletters replay`: republish set-aside records after the fix (docs/operations.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from cityops import servers
from cityops.cli.common import ConfigOption, console, setup

app = typer.Typer(help="Find and replay dead letters (see docs/operations.md, 'Poison').")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            "expected an ISO 8601 date or time, e.g. 2026-11-30T08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def replay(
    reason: Annotated[
        str,
        typer.Option(help="Replay dead letters whose reason contains this (case-insensitive)."),
    ],
    since: Annotated[
        str,
        typer.Option(
            help="Only those dead-lettered at or after this ISO 8601 time (UTC if no offset)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option(help="Count what would be replayed; publish nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Republish dead letters of the workers and their sink to the topics they came from.

    Run it after fixing what rejected them: each is decoded again first, and one that still
    does not pass the contract is left alone and counted. Re-processing is idempotent, so a
    replay run twice counts nothing twice. Connector dead letters hold the source's own
    input: send those through their connector again instead.
    """
    from cityops.db.client import make_client
    from streams.deadletters.replay import find
    from streams.deadletters.replay import replay as publish

    settings = setup(config)
    servers.require(settings, clickhouse=True, kafka=not dry_run)
    # The dead letters are an operator's, not the workers' (who only insert them) nor
    # Grafana's: read as the account that owns the schema.
    client = make_client(settings.clickhouse, migrator=True)
    try:
        letters = find(client, settings.clickhouse.database, reason=reason, since=_instant(since))
    finally:
        client.disconnect()
    report = publish(letters, settings.kafka, dry_run=dry_run)
    console.print(("dry run, nothing sent: " if dry_run else "") + report.summary(), markup=False)

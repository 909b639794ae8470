"""`cityops kafka init`: every topic of the project, created and checked from settings."""

from __future__ import annotations

import typer

from cityops import servers
from cityops.cli.common import ConfigOption, setup

app = typer.Typer(help="Kafka topics: create and check them from settings.", no_args_is_help=True)


@app.command()
def init(config: ConfigOption = None) -> None:
    """Create every contract topic and the workers' internal topics (state changelogs, rate
    signals) that do not exist, with partitions, replication factor and min.insync.replicas
    from settings (kafka.partitions, kafka.replication_factor, kafka.min_insync_replicas);
    check those that exist. Safe to run again. Exits 1, saying which, when a topic exists with
    another partition count or replication factor.

    Run it at setup, next to `cityops db migrate`: the broker does not create topics on
    first use (auto.create.topics.enable=false), and workers wait until these exist.
    """
    from streams.topics import init_topics

    settings = setup(config)
    servers.require(settings, kafka=True)
    plans, applied = init_topics(settings)
    for name in applied.created:
        typer.echo(f"created {name}")
    typer.echo(
        f"{len(plans)} topics at {settings.kafka.bootstrap_servers}: {len(applied.created)} "
        f"created, {len(applied.checked)} already there and as configured"
    )

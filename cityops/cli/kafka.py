"""`cityops kafka init` and `kafka acls`: every topic of the project, created and checked from
settings, and what each role may do with them."""

from __future__ import annotations

import typer

from cityops import servers
from cityops.cli.common import ConfigOption, setup

app = typer.Typer(
    help="Kafka topics and ACLs: create and check them from settings.", no_args_is_help=True
)


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


@app.command()
def acls(
    config: ConfigOption = None,
    print_only: bool = typer.Option(
        False, "--print", help="Print the grants instead of creating them (needs no broker)."
    ),
) -> None:
    """Grant each role its Kafka ACLs, from the same topic specs as `kafka init`: connectors
    (kafka.connector_user) may write and describe the source and dead-letter topics only;
    workers (kafka.worker_user) read the contract topics, write alerts and dead letters, and
    own their internal topics and consumer group. Run it as a super user (kafka.sasl_username
    in the broker's super.users), after `kafka init`, against a broker with an authorizer.
    Safe to run again; an ACL no longer planned is not removed.
    """
    from streams.acls import AclsRefused, apply_grants, role_grants

    settings = setup(config)
    grants = role_grants(settings)
    if print_only:
        for grant in grants:
            typer.echo(str(grant))
        return
    servers.require(settings, kafka=True)
    try:
        count = apply_grants(settings.kafka, grants)
    except AclsRefused as exc:
        typer.echo(f"cityops: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{count} ACLs for {len(grants)} grants at {settings.kafka.bootstrap_servers}")

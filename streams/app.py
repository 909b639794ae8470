"""The Faust application of the stream workers, built from settings.

One app, one consumer group; each domain registers its processors, tables and timers. Processing
is at-least-once and every write is idempotent (see docs/architecture.md: "Exactly the same
figures"), which needs no broker transactions and survives SIGKILL anywhere.
"""

from __future__ import annotations

from typing import Any

from cityops.contract import TopicSpec
from cityops.settings import Settings
from streams.alerts import processors as alerts
from streams.context import Context
from streams.dossier import processors as dossier
from streams.health import processors as health
from streams.payment import processors as payment
from streams.portal import processors as portal
from streams.rates import processors as rates
from streams.runtime import App

#: Every domain, in registration order. A new domain adds its `register` here.
DOMAINS = (dossier, payment, portal, rates, alerts, health)


def app_id(settings: Settings) -> str:
    base = settings.streams.app_id
    return f"{settings.kafka.namespace}.{base}" if settings.kafka.namespace else base


def internal_topics(ctx: Context) -> list[TopicSpec]:
    """The topics the app itself uses besides the contract's: table changelogs (compacted,
    partitioned like their input) and the signals topic.

    They must exist before the worker's consumer starts: Faust's assignor ignores topics
    missing from the metadata it fetched at start ("Ignoring missing topic"), and until the
    next metadata refresh (minutes) a worker that takes over a partition is given no
    changelog to recover, so it merges new events onto empty state.
    """
    namespace = ctx.namespace
    prefix = f"{namespace}." if namespace else ""
    specs = [
        TopicSpec(str(table.changelog_topic.get_topic_name()).removeprefix(prefix), None,
                  partitions=table.partitions or 1, compacted=True)
        for table in ctx.app.tables.values()
    ]  # fmt: skip
    signals = ctx.signals_topic()
    (name,) = signals.topics
    specs.append(TopicSpec(name.removeprefix(prefix), None, partitions=1))
    return specs


def create_app(settings: Settings, sink: Any, *, web_port: int | None = None) -> Context:
    kafka = settings.kafka
    datadir = settings.state_dir / "faust"
    datadir.mkdir(parents=True, exist_ok=True)
    app = App(
        app_id(settings),
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        store="memory://",
        processing_guarantee="at_least_once",
        topic_partitions=6,
        topic_replication_factor=1,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        # A worker that dies (SIGKILL, lost host) hands its partitions over in ~15 s, not 60.
        broker_session_timeout=15.0,
        broker_heartbeat_interval=3.0,
        broker_rebalance_timeout=30.0,
        broker_commit_every=10_000,
        broker_commit_interval=2.0,
        producer_acks=-1,
        producer_compression_type="lz4",
        web_enabled=web_port is not None,
        web_port=web_port or settings.streams.web_port,
        web_bind="127.0.0.1",
        web_in_thread=False,
        datadir=str(datadir),
        autodiscover=False,
        stream_wait_empty=False,
        # Bigger fetches and buffers: the processors batch thousands of records per flush.
        broker_max_poll_records=5000,
        stream_buffer_maxsize=20000,
        consumer_max_fetch_size=8 * 1024 * 1024,
    )
    ctx = Context(settings=settings, app=app, sink=sink)
    for domain in DOMAINS:
        domain.register(ctx)

    @app.on_before_shutdown.connect
    async def _drain_sink(*_args: object, **_kwargs: object) -> None:
        # From here a failed write is not retried: a worker stopped while ClickHouse is down
        # (or refusing a table) exits within seconds, its unwritten records unacknowledged.
        sink.drain()

    _ = _drain_sink
    return ctx

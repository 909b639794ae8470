"""The Faust application of the stream workers, built from settings.

One app, one consumer group; each domain registers its processors, tables and timers. Processing
is at-least-once and every write is idempotent (see docs/architecture.md: "Exactly the same
figures"), which needs no broker transactions and survives SIGKILL anywhere.
"""

from __future__ import annotations

from typing import Any

import faust

from cityops.settings import KafkaSettings, Settings, StreamsSettings
from streams.alerts import processors as alerts
from streams.context import Context
from streams.dossier import processors as dossier
from streams.health import processors as health
from streams.payment import processors as payment
from streams.portal import processors as portal
from streams.rates import processors as rates
from streams.runtime import App, StockApp
from streams.standby import TableManager

#: Every domain, in registration order. A new domain adds its `register` here.
DOMAINS = (dossier, payment, portal, rates, alerts, health)


def app_id(settings: Settings) -> str:
    base = settings.streams.app_id
    return f"{settings.kafka.namespace}.{base}" if settings.kafka.namespace else base


def standby_replicas(streams: StreamsSettings) -> int:
    """The warm copies Faust keeps of each table partition: `streams.standby_replicas` on
    RocksDB, none on the memory store. Faust's memory store drops, at the end of every
    recovery, each key of a partition that is not active here (faust/stores/memory.py,
    `on_recovery_completed`), standby copies included: a standby there reads the changelogs
    for nothing, its successor reads them again from the start, and changelog records the
    standby fetched before a rebalance can be taken, after it, for the promoted partition's
    own, so that its recovery starts past them over a copy that was dropped."""
    return streams.standby_replicas if streams.store == "rocksdb://" else 0


def broker_credentials(kafka: KafkaSettings) -> faust.types.auth.CredentialsT | None:
    """Faust's form of the same security settings every other Kafka client uses."""
    if kafka.sasl_mechanism:
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        credentials = faust.SASLCredentials(
            username=kafka.sasl_username,
            password=password,
            ssl_context=kafka.ssl_context(),
            mechanism=kafka.sasl_mechanism,
        )
        return credentials
    if kafka.uses_tls:
        return faust.SSLCredentials(kafka.ssl_context())
    return None


def create_app(settings: Settings, sink: Any, *, web_port: int | None = None) -> Context:
    kafka = settings.kafka
    datadir = settings.state_dir / "faust"
    datadir.mkdir(parents=True, exist_ok=True)
    app_class = App if settings.streams.batching == "inbox" else StockApp
    app = app_class(
        app_id(settings),
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        broker_credentials=broker_credentials(kafka),
        store=settings.streams.store,
        processing_guarantee="at_least_once",
        # Changelogs get the source topics' count (state follows its records' partitions).
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        # No processor runs on the leader only: no `__assignor-__leader` topic to create.
        topic_disable_leader=True,
        table_standby_replicas=standby_replicas(settings.streams),
        # Standby copies without holes (streams/standby.py).
        TableManager=TableManager,
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

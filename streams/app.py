"""The Faust application of the stream workers, built from settings.

One app, one consumer group; each domain registers its processors, tables and timers. Processing
is at-least-once and every write is idempotent (see docs/architecture.md: "Exactly the same
figures"), which needs no broker transactions and survives SIGKILL anywhere.
"""

from __future__ import annotations

from typing import Any

import faust

from cityops.settings import KafkaSettings, Settings
from streams.alerts import processors as alerts
from streams.context import Context
from streams.dossier import processors as dossier
from streams.health import processors as health
from streams.payment import processors as payment
from streams.portal import processors as portal
from streams.rates import processors as rates
from streams.runtime import App, StockApp

#: Every domain, in registration order. A new domain adds its `register` here.
DOMAINS = (dossier, payment, portal, rates, alerts, health)


def app_id(settings: Settings) -> str:
    base = settings.streams.app_id
    return f"{settings.kafka.namespace}.{base}" if settings.kafka.namespace else base


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
        table_standby_replicas=settings.streams.standby_replicas,
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

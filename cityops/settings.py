"""Typed settings, read once at the edge (the CLI) and passed to constructors.

Sources, highest first: keyword arguments, environment variables (`CITYOPS_...`, nested with
`__`, e.g. `CITYOPS_KAFKA__BOOTSTRAP_SERVERS`), a YAML file named by `CITYOPS_CONFIG`
(or `--config`), the local stack's generated secrets (`.stack/secrets.env`, except in
production mode), then defaults that fit the local stack started by `make stack-up`.
Secrets are `SecretStr`: they never show in logs, reprs or `cityops config show`; with
`CITYOPS_ENV=production` none may keep its default (cityops/secretcheck.py).
"""

from __future__ import annotations

import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from cityops.contract.bounds import TimeWindow
from cityops.db.databases import api_database
from cityops.secretcheck import missing_secret

CONFIG_ENV = "CITYOPS_CONFIG"
#: `production` refuses default secrets; anything else is the local stack (docs/operations.md,
#: "Secrets"). Read from the environment only, before any other setting.
MODE_ENV = "CITYOPS_ENV"
PRODUCTION = "production"
LOCAL_TZ = "Asia/Ho_Chi_Minh"
REFERENCE_DIR = Path(__file__).parent / "reference" / "data" / "namdinh"


class KafkaSettings(BaseModel):
    """How every cityops client reaches Kafka: connectors, workers (Faust), the simulator,
    the CLI and the health checks all build their connections from this one model."""

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    #: TLS (SSL, SASL_SSL): the CA that signed the brokers' certificates (else the system's),
    #: a client certificate and key if the brokers ask for one, and whether a broker's
    #: certificate must name the host connected to.
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True
    client_id: str = "cityops"
    #: The SASL accounts of the roles `cityops kafka acls` grants (docs/operations.md, "ACLs"):
    #: connectors (the simulator too) may only write their topics; workers read the contract
    #: topics and own their internal topics and consumer group. `kafka init` and `kafka acls`
    #: run as a super user. Each process sets `sasl_username` to its role's account.
    connector_user: str = "cityops-connector"
    worker_user: str = "cityops-worker"
    #: Prefix for every topic name; empty in production, unique per test session.
    namespace: str = ""
    #: Partitions of the keyed source topics and of the workers' state changelogs (they must
    #: match: a key's state lives on its record's partition). The most workers that share the
    #: load; a topic's count cannot be lowered later, only raised with a re-keying.
    partitions: int = Field(6, ge=1)
    #: Copies of every topic `cityops kafka init` creates; 1 fits the local single broker,
    #: production wants 3 (it needs that many brokers).
    replication_factor: int = Field(1, ge=1)
    #: `min.insync.replicas` of those topics: with `acks=all`, how many copies a write needs.
    min_insync_replicas: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _insync_fits(self) -> KafkaSettings:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) exceeds "
                f"replication_factor ({self.replication_factor}): no write could succeed"
            )
        return self

    @field_validator(
        "sasl_mechanism", "sasl_username", "sasl_password", "ssl_cafile", "ssl_certfile",
        "ssl_keyfile", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`CITYOPS_KAFKA__SASL_MECHANISM=` (compose's `${X:-}`) means not set."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _security_is_complete(self) -> KafkaSettings:
        """Refuse half a configuration at startup instead of connecting without it."""
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
            raise ValueError(
                f"kafka.security_protocol {self.security_protocol} needs kafka.sasl_mechanism, "
                "kafka.sasl_username and kafka.sasl_password"
            )
        if not sasl and self.sasl_mechanism:
            raise ValueError(
                f"kafka.sasl_mechanism is set but kafka.security_protocol is "
                f"{self.security_protocol}: use SASL_SSL (or SASL_PLAINTEXT)"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("kafka.ssl_certfile and kafka.ssl_keyfile go together")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of every client (kafka-python, aiokafka/Faust), None without TLS."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None
        )
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile and self.ssl_keyfile:
            context.load_cert_chain(str(self.ssl_certfile), str(self.ssl_keyfile))
        return context

    def client_kwargs(self) -> dict[str, Any]:
        """Connection arguments accepted by kafka-python clients."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
            "client_id": self.client_id,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.uses_tls:
            kwargs["ssl_context"] = self.ssl_context()
        return kwargs


class ClickHouseSettings(BaseModel):
    #: One server, or the replicas to fail over between, tried in order: a list, or one
    #: comma-separated string; an entry without `:port` uses `port`.
    host: str | list[str] = "127.0.0.1"
    port: int = 9000
    #: Every server's HTTP port: Grafana's balancer in front of the replicas checks each
    #: one's `/replicas_status` there (dashboards/clickhouse_proxy.py).
    http_port: int = 8123
    #: The `remote_servers` cluster the migrations create the replicated schema on
    #: (docs/operations.md, "ClickHouse replicas"); "" is one server, no ZooKeeper.
    cluster: str = ""
    database: str = "cityops"
    #: The writer account of the workers: INSERT into the tables they write, no DDL
    #: (docs/operations.md, "Accounts"). No password has a default: the local stack generates
    #: them (`.stack/secrets.env`), elsewhere an unset one stops the client that needs it.
    user: str = "cityops_writer"
    password: SecretStr | None = None
    #: The read-only account of Grafana and `cityops kpi`: the read-API views only.
    reader_user: str = "cityops_reader"
    reader_password: SecretStr | None = None
    #: The account that owns the schema: `cityops db migrate` and nothing else uses it.
    migrator_user: str = "cityops_migrator"
    migrator_password: SecretStr | None = None
    #: Where the three accounts may connect from (IPs or CIDR networks): loopback for the
    #: local stack (its server takes loopback whatever this says); the workers' and
    #: Grafana's network in a deployment.
    account_networks: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    #: The accounts' passwords: none has a default; the local stack generates them.
    PASSWORDS: ClassVar[tuple[str, ...]] = (
        "password",
        "reader_password",
        "migrator_password",
    )

    def secret(self, name: Literal["password", "reader_password", "migrator_password"]) -> str:
        """An account's password, or `MissingSecret` naming the setting when none was set."""
        value = getattr(self, name)
        if value is None:
            raise missing_secret(f"clickhouse.{name}")
        return str(value.get_secret_value())

    @property
    def hosts(self) -> list[tuple[str, int]]:
        """(host, port) of every server, in the order a client tries them."""
        entries = self.host.split(",") if isinstance(self.host, str) else self.host
        found = []
        for entry in (e.strip() for e in entries):
            if entry:
                name, _, port = entry.rpartition(":") if ":" in entry else (entry, "", "")
                found.append((name, int(port) if port else self.port))
        if not found:
            raise ValueError("clickhouse.host names no server")
        return found

    @property
    def api_database(self) -> str:
        """The reader's database, named after `database` (cityops/db/databases.py): the
        read-API views and what they read; the reader may open no other."""
        return api_database(self.database)

    def client_kwargs(
        self, *, database: bool = True, user: str | None = None, password: str | None = None
    ) -> dict[str, Any]:
        """clickhouse-driver arguments: the first host, the others as `alt_hosts`, which the
        driver tries in turn when a connection fails (a replica down); the writer's account
        unless another is given."""
        (host, port), *others = self.hosts
        kwargs: dict[str, Any] = {
            "host": host,
            "port": port,
            "user": user or self.user,
            "password": self.secret("password") if password is None else password,
        }
        if others:
            kwargs["alt_hosts"] = ",".join(f"{h}:{p}" for h, p in others)
        if database:
            kwargs["database"] = self.database
        return kwargs


class StreamsSettings(BaseModel):
    """Stream workers: batching, alert rules and their thresholds."""

    app_id: str = "cityops-streams"
    web_port: int = 6066
    #: The workers' event loop: uvloop runs Faust's per-record machinery ~15% faster than
    #: asyncio's default loop (`make bench`); "aio" is the fallback where uvloop cannot load.
    event_loop: Literal["uvloop", "aio"] = "uvloop"
    #: How records reach the processors: "inbox" (streams/runtime.py's drain loop) or
    #: "stock" (faust-streaming's own `Stream.take_events` agents), kept to measure the fork
    #: against (`make bench`), not for production.
    batching: Literal["inbox", "stock"] = "inbox"
    #: Rows buffered per ClickHouse table before a flush, and the longest a row waits.
    batch_max_rows: int = 20_000
    batch_max_seconds: float = 0.5
    #: The worker's garbage collector thresholds (young, middle, old generation:
    #: `gc.set_threshold`). CPython's (700, 10, 10) spent a third of a backfill traversing
    #: the states held in full collections (streams/gc_tuning.py, `make bench`).
    gc_threshold: tuple[PositiveInt, PositiveInt, PositiveInt] = (50_000, 10, 10)
    #: How often open dossiers are checked against their deadlines.
    deadline_check_seconds: float = 5.0
    #: `dossier_due_soon` fires this many working days before `due_at`.
    due_soon_working_days: float = 1.0
    #: Closed dossiers stay in worker state this long, to absorb late events.
    closed_retention_hours: float = 72.0
    #: Rolling window of the rate alerts, in minutes of event time.
    rate_window_minutes: int = 15
    payment_failure_rate: float = 0.25
    payment_min_attempts: int = 20
    satisfaction_floor: float = 0.7
    satisfaction_min_ratings: int = 20
    on_time_min_resolved: int = 10
    #: An agency's on-time target when the reference table has none.
    default_on_time_target: float = 0.95
    source_silent_minutes: float = 15.0
    lag_report_seconds: float = 15.0
    #: A sink with rows waiting and no successful write for this long is stuck: the worker's
    #: /health answers 503 and /metrics says so (docs/operations.md, "Poison and stuck sinks").
    sink_stuck_seconds: float = 120.0
    #: A worker whose records are older than this (seconds since they were published) is
    #: catching up on a backlog: its alerts are recorded with `backlog` set and do not page;
    #: those still firing once it caught up are published again without it.
    backlog_lag_seconds: float = 120.0
    #: Where the workers' tables live: "rocksdb://" (RocksDB through rocksdict, one database
    #: per table partition under `state_dir`/faust: the state stays out of the Python heap,
    #: and a restarted worker reads only the changelog written since its copy's stored
    #: offset; give each worker its own `state_dir`, `cityops worker -n N` does) or
    #: "memory://" (every start re-reads every changelog; what the unit and integration
    #: tests use, and no standby copies: see `standby_replicas`).
    store: Literal["rocksdb://", "memory://"] = "rocksdb://"
    #: RocksDB memory per table partition database (a worker opens one per partition it owns
    #: or keeps a standby copy of): the write buffer (memtable) and the block cache of reads.
    #: RocksDB's own defaults, 64 MiB x 3 and 2 GiB, let 1 M open dossiers fill gigabytes.
    store_write_buffer_mib: int = Field(8, ge=1)
    store_block_cache_mib: int = Field(8, ge=1)
    #: Workers that keep a warm copy of each table partition besides its owner, so a lost
    #: worker's partitions move to one that is already caught up. 0 on the local stack, 1 in
    #: production (`PRODUCTION_DURABILITY` below; tests/faults/test_standby.py).
    #: RocksDB only: Faust's memory store drops standby copies after every recovery, so with
    #: memory:// the workers keep none (streams/app.py, `standby_replicas`; docs/
    #: operations.md, "Scaling out and failover: Kafka and workers").
    standby_replicas: int = Field(0, ge=0)


class ContractSettings(BaseModel):
    """The contract's tunable bounds (cityops/contract/bounds.py), applied by every connector and
    worker: a timestamp outside the window is dead-lettered, never stored."""

    #: The earliest accepted timestamp (at least 1970-01-02: ClickHouse's DateTime).
    earliest_timestamp: AwareDatetime = datetime(2000, 1, 1, tzinfo=UTC)
    #: How far past now a timestamp may be (due dates are in the future).
    max_days_ahead: float = 366.0

    @model_validator(mode="after")
    def _storable(self) -> ContractSettings:
        self.window()  # raises ValueError, naming the bound, for a window ClickHouse cannot hold
        return self

    def window(self) -> TimeWindow:
        return TimeWindow(self.earliest_timestamp, timedelta(days=self.max_days_ahead))


def local_stack_dir() -> Path:
    """Where the local stack keeps its data and generated secrets (as deploy/local does)."""
    configured = os.environ.get("CITYOPS_STACK_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / ".stack"


def local_secrets_file() -> Path:
    """The local stack's generated secrets (`CITYOPS_*=...` lines), read in local mode only."""
    return local_stack_dir() / "secrets.env"


def production_mode() -> bool:
    return os.environ.get(MODE_ENV, "").strip().lower() == PRODUCTION


class AlertingSettings(BaseModel):
    """Where Grafana sends pages (`cityops dashboards render|provision`).

    A channel left empty is not provisioned at all (Grafana refuses a receiver without an
    address). Secrets are never rendered into files: a file gets a reference Grafana expands
    at start, `$__file{<path>}` when `*_path` (a file in Grafana's own filesystem) is set,
    else `$__env{CITYOPS_ALERTING__...}`. The values themselves are read only by
    `cityops dashboards provision` (which takes `CITYOPS_..._FILE` like every secret).
    """

    #: E-mail addresses (`;`-separated) for warnings; needs Grafana's SMTP (`GF_SMTP_*`).
    email_to: str = ""
    #: Grafana's SMTP host as configured for it; no e-mail receiver while it is empty.
    smtp_host: str = ""
    telegram_chat_id: str = ""
    telegram_bot_token: SecretStr | None = None
    telegram_bot_token_path: str = ""
    #: A generic webhook (the duty officers' paging system), with an optional bearer token.
    webhook_url: str = ""
    webhook_token: SecretStr | None = None
    webhook_token_path: str = ""


#: Production's defaults where the local stack's are 1 or 0: three copies of every topic,
#: writes acknowledged by two (`acks=all`), so a cluster of three brokers loses one without
#: losing a record or stopping; and one standby copy of every table partition, so a lost
#: worker's partitions go to one that has read their changelog already
#: (tests/faults/test_standby.py; docs/operations.md, "Scaling out and failover").
PRODUCTION_DURABILITY: dict[str, dict[str, int]] = {
    "kafka": {"replication_factor": 3, "min_insync_replicas": 2},
    "streams": {"standby_replicas": 1},
}


class Settings(BaseSettings):
    """All of cityops' configuration; each component reads the part it needs."""

    model_config = SettingsConfigDict(
        env_prefix="CITYOPS_", env_nested_delimiter="__", extra="ignore"
    )

    #: `production` (from `CITYOPS_ENV`, set in the image) refuses default and short secrets.
    env: Literal["local", "production"] = "local"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    streams: StreamsSettings = Field(default_factory=StreamsSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    #: Key of the HMAC that turns citizen/business ids into `applicant_ref`. The default is
    #: for tests only: the local stack generates one, production must set its own.
    hash_key: SecretStr = SecretStr("local-dev-only-change-me")
    #: Folder with agencies.csv, areas.csv and procedures.csv.
    reference_dir: Path = REFERENCE_DIR
    timezone: str = LOCAL_TZ
    #: Where connectors keep checkpoints and workers their tables (RocksDB, under faust/): one
    #: folder per worker process.
    state_dir: Path = Path(".state")
    log_level: str = "INFO"
    log_json: bool = False

    @model_validator(mode="after")
    def _durable_in_production(self) -> Settings:
        """Production survives one broker's or one worker's loss unless told otherwise: the
        local stack (one broker) keeps the defaults of 1 and 0, production gets
        `PRODUCTION_DURABILITY` for every field its configuration does not set."""
        if self.env == PRODUCTION:
            for part, fields in PRODUCTION_DURABILITY.items():
                model = getattr(self, part)
                for name, value in fields.items():
                    if name not in model.model_fields_set:
                        setattr(model, name, value)
            kafka = self.kafka
            kafka.min_insync_replicas = min(kafka.min_insync_replicas, kafka.replication_factor)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_ENV)
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        if not production_mode():
            sources.append(DotEnvSettingsSource(settings_cls, env_file=local_secrets_file()))
        sources.append(file_secret_settings)
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings once; `config_file` wins over `CITYOPS_CONFIG`; `CITYOPS_X_FILE` sets
    `CITYOPS_X` from a file (secrets mounted as files). In production mode,
    raises `InsecureSettings` (one line, naming the setting) for a default or short secret."""
    from cityops.secretcheck import refuse_weak_secrets, secrets_from_files

    if config_file is not None:
        os.environ[CONFIG_ENV] = str(config_file)
    secrets_from_files(os.environ)
    settings = Settings(**overrides)
    if settings.env == PRODUCTION:
        refuse_weak_secrets(settings)
    return settings

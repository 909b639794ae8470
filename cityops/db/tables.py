"""Names and columns of cityops' ClickHouse objects: the one place they are written.

Migrations are SQL templates whose `{names}` are filled from `template_names()`; the sink
builds its INSERTs from the column lists below; readers import the view names. A test checks
that the columns the migrations create are exactly the ones listed here, so a migration that
adds a column must add it here too (and the other way round).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cityops.contract import DEADLETTER, DOSSIER, PAYMENT, PORTAL
from cityops.db.databases import Home, api_database, home_database
from cityops.settings import LOCAL_TZ


@dataclass(frozen=True)
class Column:
    name: str
    type: str

    @property
    def nullable(self) -> bool:
        return self.type.startswith("Nullable(")


@dataclass(frozen=True)
class TableSpec:
    """A table the pipeline writes: its name, its columns in INSERT order, and its database
    (`Home.API`: the reader's; cityops/db/databases.py)."""

    name: str
    columns: tuple[Column, ...]
    home: Home = Home.RAW

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        # Cached: the sink asks for it once per row, on the workers' hottest path.
        return tuple(c.name for c in self.columns)

    def insert_sql(self, database: str) -> str:
        """The INSERT prefix clickhouse-driver completes with row tuples."""
        table = f"{home_database(self.home, database)}.{self.name}"
        return f"INSERT INTO {table} ({', '.join(self.column_names)}) VALUES"


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse `name Type` lines: keeps the lists below readable as a schema."""
    columns = []
    for line in spec.strip().splitlines():
        if not line.strip():
            continue
        name, type_ = line.strip().split(maxsplit=1)
        columns.append(Column(name, type_))
    return tuple(columns)


_ENVELOPE = """
event_id String
event_type String
occurred_at DateTime
occurred_ms UInt64
source String
schema_version UInt8
"""

#: Added by the sink to every raw event row: where and when it came from Kafka.
_INGEST = """
ingested_at DateTime
kafka_partition UInt16
kafka_offset UInt64
"""

#: Columns of raw rows that are not fields of the contract event.
INGEST_COLUMNS: frozenset[str] = frozenset(
    {"occurred_ms", "ingested_at", "kafka_partition", "kafka_offset"}
)

#: What a dossier is (the latest event's view of it): shared by the raw and the state table.
_DOSSIER_DESCRIPTIVE = """
dossier_id String
status String
procedure_code String
procedure_name String
field_code String
agency_code String
agency_name String
area_code String
area_name String
channel String
online_level String
applicant_type String
"""

DOSSIER_EVENTS = TableSpec(
    "dossier_events",
    _cols(
        _ENVELOPE
        + _DOSSIER_DESCRIPTIVE
        + """
applicant_ref String
received_at Nullable(DateTime)
due_at Nullable(DateTime)
resolved_at Nullable(DateTime)
"""
        + _INGEST
    ),
)

PAYMENT_EVENTS = TableSpec(
    "payment_events",
    _cols(
        _ENVELOPE
        + """
payment_id String
dossier_id Nullable(String)
status String
method String
amount_vnd UInt64
fee_type String
agency_code String
area_code String
provider String
failure_reason Nullable(String)
"""
        + _INGEST
    ),
)

PORTAL_EVENTS = TableSpec(
    "portal_events",
    _cols(
        _ENVELOPE
        + """
kind String
session_id Nullable(String)
procedure_code Nullable(String)
agency_code Nullable(String)
rating Nullable(UInt8)
device String
"""
        + _INGEST
    ),
)

DOSSIER_STATE = TableSpec(
    "dossier_state",
    _cols(
        _DOSSIER_DESCRIPTIVE
        + """
received_event_at Nullable(DateTime)
received_at Nullable(DateTime)
due_at Nullable(DateTime)
first_resolved_event_at Nullable(DateTime)
resolved_at Nullable(DateTime)
closed UInt8
closed_at Nullable(DateTime)
last_event_ms UInt64
version UInt64
updated_at DateTime
"""
    ),
)

ALERTS = TableSpec(
    "alerts",
    _cols(
        _ENVELOPE.replace("occurred_ms UInt64\n", "")
        + """
alert_id String
kind String
severity String
state String
subject String
agency_code Nullable(String)
message String
message_en String
opened_at DateTime
resolved_at Nullable(DateTime)
version UInt64
backlog UInt8
"""
    ),
    Home.API,
)

#: Alerts firing or changed within the last hour (`cityops db compact` keeps it small) and
#: every resolved alert: filled from `alerts` by materialized views (migration 033, `AS`
#: alerts: the same columns), read by `v_alerts` instead of all of `alerts FINAL`
#: (cityops/db/alert_tables.py). Like the aggregates, no worker writes them.
ALERTS_LIVE = TableSpec("alerts_live", ALERTS.columns, Home.API)
ALERTS_RESOLVED = TableSpec("alerts_resolved", ALERTS.columns, Home.API)
#: The materialized views that fill them from every block inserted into `alerts`.
MV_ALERTS_LIVE = "mv_alerts_live"
MV_ALERTS_RESOLVED = "mv_alerts_resolved"

DEADLETTERS = TableSpec(
    "deadletters",
    _cols(
        """
source String
reason String
stage String
topic Nullable(String)
at DateTime
original String
ingested_at DateTime
"""
    ),
)

CONSUMER_LAG = TableSpec(
    "consumer_lag",
    _cols(
        """
worker String
topic String
partition UInt32
lag Int64
committed Int64
end_offset Int64
at DateTime
"""
    ),
    Home.API,
)

#: Dossier KPIs kept by the workers (streams/dossier/kpis.py): one row per cell (minute or
#: local day, agency, area) and dossier, its figures there (zeros once it left the cell);
#: the highest version (the state's) wins, and the views sum the cells.
_DOSSIER_KPI = """
agency_code String
area_code String
dossier_id String
received UInt8
online_received UInt8
full_online_received UInt8
resolved UInt8
resolved_on_time UInt8
resolved_late UInt8
processing_seconds Int64
processing_count UInt8
version UInt64
"""

#: Open dossiers only: `dossier_state`'s rows of dossiers that are or were open, a closing
#: row replacing the open one; closed rows are deleted by `cityops db compact` (open_dossiers.py).
DOSSIER_OPEN = TableSpec("dossier_open", DOSSIER_STATE.columns, Home.API)

DOSSIER_KPI_MINUTE = TableSpec(
    "dossier_kpi_minute", _cols("minute DateTime\n" + _DOSSIER_KPI), Home.API
)
DOSSIER_KPI_DAILY = TableSpec("dossier_kpi_daily", _cols("day Date\n" + _DOSSIER_KPI), Home.API)

#: Business-registration dossiers per local day of their first resolution, agency and area
#: (what `v_business_registration` lists), kept by the dossier workers like the KPI cells:
#: `present` 0 in the cells a dossier has left.
BUSINESS_REGISTRATION_DAILY = TableSpec(
    "business_registration_daily",
    _cols(
        """
day Date
agency_code String
area_code String
dossier_id String
present UInt8
procedure_code String
status String
received_at Nullable(DateTime)
resolved_at Nullable(DateTime)
due_at Nullable(DateTime)
version UInt64
"""
    ),
    Home.API,
)

REF_AGENCIES = TableSpec(
    "ref_agencies",
    _cols(
        """
agency_code String
agency_name String
area_code String
level String
on_time_target Float64
"""
    ),
    Home.API,
)

REF_AREAS = TableSpec(
    "ref_areas",
    _cols(
        """
area_code String
area_name String
level String
parent_code String
population UInt64
"""
    ),
    Home.API,
)

REF_PROCEDURES = TableSpec(
    "ref_procedures",
    _cols(
        """
procedure_code String
procedure_name String
field_code String
agency_level String
agency_code String
working_days Float64
fee_vnd UInt64
online_level String
weight Float64
"""
    ),
    Home.API,
)

SCHEMA_MIGRATIONS = "schema_migrations"
#: The checksum each read-API view was last created with (cityops/db/read_views.py).
SCHEMA_VIEWS = "schema_views"
#: Which one-time backfills have completed (`cityops db backfill`).
BACKFILLS = "backfills"

#: Raw event table of each source topic (base topic name -> table).
#: Each worker's sink, per table, sampled with the consumer lag (docs/operations.md, "Poison
#: and stuck sinks"); `topic` is the contract topic (base name) whose figures the table holds.
SINK_HEALTH = TableSpec(
    "sink_health",
    _cols(
        """
worker String
sink_table String
topic String
waiting_seconds Float64
stuck UInt8
rejected_rows UInt64
at DateTime
"""
    ),
    Home.API,
)

RAW_TABLES: dict[str, TableSpec] = {
    DOSSIER.base: DOSSIER_EVENTS,
    PAYMENT.base: PAYMENT_EVENTS,
    PORTAL.base: PORTAL_EVENTS,
}

#: Every table a worker or the CLI writes.
TABLES: tuple[TableSpec, ...] = (
    DOSSIER_EVENTS,
    PAYMENT_EVENTS,
    PORTAL_EVENTS,
    DOSSIER_STATE,
    ALERTS,
    DEADLETTERS,
    CONSUMER_LAG,
    SINK_HEALTH,
    REF_AGENCIES,
    REF_AREAS,
    REF_PROCEDURES,
    DOSSIER_KPI_MINUTE,
    DOSSIER_KPI_DAILY,
    DOSSIER_OPEN,
    BUSINESS_REGISTRATION_DAILY,
)
BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}

#: Fields of a dossier taken from its latest event (the state rule's "descriptive" fields).
DOSSIER_DESCRIPTIVE_FIELDS: tuple[str, ...] = tuple(
    c.name for c in _cols(_DOSSIER_DESCRIPTIVE) if c.name != "dossier_id"
)

# The read API (contract.md) and the live-wall views.
V_DOSSIER_DAILY = "v_dossier_daily"
#: `v_dossier_daily` per (day, agency), without the area: what the panels over agencies read.
V_DOSSIER_AGENCY_DAILY = "v_dossier_agency_daily"
V_DOSSIER_OPEN = "v_dossier_open"
V_PAYMENT_DAILY = "v_payment_daily"
#: `v_payment_daily` per (day, agency), without the area: what the panels over agencies read.
V_PAYMENT_AGENCY_DAILY = "v_payment_agency_daily"
V_PORTAL_DAILY = "v_portal_daily"
V_ALERTS = "v_alerts"
#: The alerts firing or changed within the hour (`v_alerts`' first part): what a query for
#: firing alerts reads.
V_ALERTS_LIVE = "v_alerts_live"
V_PIPELINE_HEALTH = "v_pipeline_health"
V_DOSSIER_MINUTE = "v_dossier_minute"
V_PAYMENT_MINUTE = "v_payment_minute"
V_PORTAL_MINUTE = "v_portal_minute"
V_PORTAL_HOURLY = "v_portal_hourly"
V_BUSINESS_REGISTRATION = "v_business_registration"
V_PAYMENT_PROVIDER_MINUTE = "v_payment_provider_minute"
#: The same states per local day and agency (migration 038): the whole days of a range.
V_PAYMENT_PROVIDER_DAILY = "v_payment_provider_daily"
V_DEADLETTER_MINUTE = "v_deadletter_minute"

VIEWS: tuple[str, ...] = (
    V_DOSSIER_MINUTE,
    V_DOSSIER_DAILY,
    V_DOSSIER_AGENCY_DAILY,
    V_DOSSIER_OPEN,
    V_PAYMENT_MINUTE,
    V_PAYMENT_DAILY,
    V_PAYMENT_AGENCY_DAILY,
    V_PORTAL_MINUTE,
    V_PORTAL_HOURLY,
    V_PORTAL_DAILY,
    V_ALERTS_LIVE,
    V_ALERTS,
    V_PIPELINE_HEALTH,
    V_BUSINESS_REGISTRATION,
    V_PAYMENT_PROVIDER_MINUTE,
    V_PAYMENT_PROVIDER_DAILY,
    V_DEADLETTER_MINUTE,
)

#: Tables ClickHouse keeps from the raw tables (migrations 006, 007): payments and portal
#: per minute and per local day, the pipeline's health per second and in total.
AGG_PAYMENT_MINUTE = "agg_payment_minute"
AGG_PAYMENT_DAILY = "agg_payment_daily"
AGG_PORTAL_MINUTE = "agg_portal_minute"
AGG_PORTAL_DAILY = "agg_portal_daily"
#: Portal figures per hour (migration 036), for the activity panel over wide ranges.
AGG_PORTAL_HOURLY = "agg_portal_hourly"
AGG_INGEST_TOTALS = "agg_ingest_totals"
AGG_INGEST_SECOND = "agg_ingest_second"
#: Payments per provider and dead letters per reason (migration 022), for two dashboards
#: that read the raw tables before the reader lost access to them.
AGG_PAYMENT_PROVIDER_MINUTE = "agg_payment_provider_minute"
AGG_DEADLETTER_MINUTE = "agg_deadletter_minute"
#: Payments per provider and failure reason per local day and agency (migration 038).
AGG_PAYMENT_PROVIDER_DAILY = "agg_payment_provider_daily"


@dataclass(frozen=True)
class Aggregate:
    """A materialized view that folds each block inserted into `source` into `table`.

    Its SELECT (in the migration) is also what `cityops db backfill` runs over the history,
    one month of `source` at a time (`month_column` is the source's partition column).
    """

    view: str
    table: str
    source: TableSpec
    month_column: str = "occurred_at"
    #: A condition on the source rows worth backfilling ("" = all): the per-second health
    #: aggregate is only ever read for the last 5 minutes, so its backfill takes the last hour.
    backfill_only: str = ""


def _per_source(table: str, prefix: str, only: str = "") -> tuple[Aggregate, ...]:
    sources = {"dossier": DOSSIER_EVENTS, "payment": PAYMENT_EVENTS, "portal": PORTAL_EVENTS}
    raw = tuple(
        Aggregate(f"{prefix}_{name}", table, spec, backfill_only=only)
        for name, spec in sources.items()
    )
    return (*raw, Aggregate(f"{prefix}_deadletters", table, DEADLETTERS, "at", only))


AGGREGATES: tuple[Aggregate, ...] = (
    Aggregate("mv_payment_minute", AGG_PAYMENT_MINUTE, PAYMENT_EVENTS),
    Aggregate("mv_payment_daily", AGG_PAYMENT_DAILY, PAYMENT_EVENTS),
    Aggregate("mv_portal_minute", AGG_PORTAL_MINUTE, PORTAL_EVENTS),
    Aggregate("mv_portal_daily", AGG_PORTAL_DAILY, PORTAL_EVENTS),
    *_per_source(AGG_INGEST_TOTALS, "mv_ingest_totals"),
    *_per_source(AGG_INGEST_SECOND, "mv_ingest_second", "ingested_at >= now() - 3600"),
    Aggregate("mv_payment_provider_minute", AGG_PAYMENT_PROVIDER_MINUTE, PAYMENT_EVENTS),
    Aggregate("mv_deadletter_minute", AGG_DEADLETTER_MINUTE, DEADLETTERS, "at"),
    Aggregate("mv_portal_hourly", AGG_PORTAL_HOURLY, PORTAL_EVENTS),
    Aggregate("mv_payment_provider_daily", AGG_PAYMENT_PROVIDER_DAILY, PAYMENT_EVENTS),
)

#: Field code of business registration (đăng ký doanh nghiệp), tracked against 1.5 days.
BUSINESS_REGISTRATION_FIELD = "DKDN"


#: Retired: business registration dossiers copied from `dossier_state` into the reader's
#: database by a materialized view (migration 021), read by no view since 030 and dropped by
#: 034. Named here only so that 021 and 034 still render (an applied migration never changes).
DOSSIER_BUSINESS_REGISTRATION = "dossier_business_registration"
MV_BUSINESS_REGISTRATION = "mv_business_registration"

#: `v_dossier_daily`'s settled days (migration 035, cityops/db/dossier_rollup.py): the
#: per-cell sums of `dossier_kpi_daily` for the days `cityops db compact` rolled, and per day
#: whether its latest news is a roll or a row arriving (a materialized view of the inserts).
DOSSIER_KPI_DAILY_ROLLUP = "dossier_kpi_daily_rollup"
DOSSIER_KPI_DAY_STATUS = "dossier_kpi_day_status"
MV_DOSSIER_KPI_DAY_STATUS = "mv_dossier_kpi_day_status"
#: The same sums per (day, agency), for `v_dossier_agency_daily` (migration 037): a country's
#: (day, agency, area) cells hold about one dossier each, so only a coarser rollup shrinks
#: what the panels over every agency read.
DOSSIER_KPI_AGENCY_ROLLUP = "dossier_kpi_agency_rollup"
#: The payments' settled days summed per cell and per agency, and their status per day
#: (migration 038, cityops/db/payment_rollup.py): the same scheme as the dossier KPIs'.
PAYMENT_DAILY_ROLLUP = "payment_daily_rollup"
PAYMENT_AGENCY_ROLLUP = "payment_agency_rollup"
PAYMENT_DAY_STATUS = "payment_day_status"
MV_PAYMENT_DAY_STATUS = "mv_payment_day_status"
_ROLLUP_NAMES = (
    DOSSIER_KPI_DAILY_ROLLUP,
    DOSSIER_KPI_DAY_STATUS,
    DOSSIER_KPI_AGENCY_ROLLUP,
    PAYMENT_DAILY_ROLLUP,
    PAYMENT_AGENCY_ROLLUP,
    PAYMENT_DAY_STATUS,
)

#: Everything in the reader's database (cityops/db/databases.py): the read-API views and
#: every table they read. The rest (raw events, dossier_state, dead letters, bookkeeping,
#: materialized views) stays in the main database.
API_OBJECTS: frozenset[str] = frozenset(
    {t.name for t in TABLES if t.home is Home.API}
    | set(VIEWS)
    | {a.table for a in AGGREGATES}
    | {ALERTS_LIVE.name, ALERTS_RESOLVED.name}
    | set(_ROLLUP_NAMES)
)
#: Objects a later migration dropped from the reader's database: not in API_OBJECTS (they no
#: longer exist), but the migrations that created and dropped them still place them there.
RETIRED_API_OBJECTS: frozenset[str] = frozenset({DOSSIER_BUSINESS_REGISTRATION})


def qualified(name: str, database: str) -> str:
    """`name` in its own database, for the deployment whose main database is `database`."""
    home = Home.API if name in API_OBJECTS or name in RETIRED_API_OBJECTS else Home.RAW
    return f"{home_database(home, database)}.{name}"


def views_database(database: str) -> str:
    """Where the read-API views live: the reader's database."""
    return api_database(database)


class _Qualified:
    """`{q.<name>}` in a template: the name in its own database (`qualified`)."""

    def __init__(self, database: str, names: dict[str, str]) -> None:
        self._database, self._names = database, names

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._names:
            raise KeyError(f"q.{name}")
        return qualified(name, self._database)


def template_names(database: str) -> dict[str, object]:
    """Every name a template may use: `{db}` (the main database), `{api_db}` (the reader's),
    `{<table>}`, `{v_...}` (bare names, as the migrations up to 020 use them: `{db}.{...}`),
    `{q.<table>}` (the name in its own database: what later templates write), `{tz}`..."""
    names: dict[str, str] = {"db": database, "api_db": api_database(database), "tz": LOCAL_TZ}
    names.update({t.name: t.name for t in TABLES})
    names.update({v: v for v in VIEWS})
    names.update({a.table: a.table for a in AGGREGATES})
    names.update({a.view: a.view for a in AGGREGATES})
    names[SCHEMA_MIGRATIONS] = SCHEMA_MIGRATIONS
    names[SCHEMA_VIEWS] = SCHEMA_VIEWS
    for name in (ALERTS_LIVE.name, ALERTS_RESOLVED.name, MV_ALERTS_LIVE, MV_ALERTS_RESOLVED):
        names[name] = name
    names[BACKFILLS] = BACKFILLS
    names[DOSSIER_BUSINESS_REGISTRATION] = DOSSIER_BUSINESS_REGISTRATION
    names[MV_BUSINESS_REGISTRATION] = MV_BUSINESS_REGISTRATION
    for name in (*_ROLLUP_NAMES, MV_DOSSIER_KPI_DAY_STATUS, MV_PAYMENT_DAY_STATUS):
        names[name] = name
    names["dossier_topic"] = DOSSIER.base
    names["payment_topic"] = PAYMENT.base
    names["portal_topic"] = PORTAL.base
    names["deadletter_topic"] = DEADLETTER.base
    names["business_registration_field"] = BUSINESS_REGISTRATION_FIELD
    return {**names, "q": _Qualified(database, names)}

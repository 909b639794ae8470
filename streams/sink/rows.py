"""Contract objects to row tuples, in the column order `cityops.db.tables` defines.

Pure functions: no I/O, so workers and tests build exactly the rows the sink will insert.
Columns are looked up by name on the event, so a field added to both the contract and the
table flows through without touching this module.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from operator import attrgetter
from typing import Any, get_args

from cityops.contract import ALERTS as ALERTS_TOPIC
from cityops.contract import BY_FAMILY, DEADLETTER, DOSSIER, AlertEvent, DeadLetter, Envelope
from cityops.db.tables import (
    ALERTS,
    CONSUMER_LAG,
    DEADLETTERS,
    DOSSIER_STATE,
    INGEST_COLUMNS,
    RAW_TABLES,
    SINK_HEALTH,
    TableSpec,
)
from streams.sink.clickhouse import SinkMetrics

Row = tuple[Any, ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(ts: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding): the events' tie-break order."""
    aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    delta = aware - _EPOCH  # integer parts: faster than dividing timedeltas, just as exact
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def raw_table(event: Envelope) -> TableSpec:
    """The raw table of an event's source topic."""
    return RAW_TABLES[BY_FAMILY[event.family].base]


def raw_row(
    event: Envelope, partition: int, offset: int, ingested_at: datetime | None = None
) -> tuple[TableSpec, Row]:
    """A source event (dossier, payment, portal) and its Kafka position -> its raw-table row."""
    plan = _RAW_PLANS.get(type(event)) or _raw_plan(event)
    values = list(plan.fields(event))
    for index in plan.enums:
        if values[index] is not None:
            values[index] = values[index].value
    extra = {
        "occurred_ms": epoch_ms(event.occurred_at),
        "ingested_at": ingested_at or datetime.now(UTC),
        "kafka_partition": partition,
        "kafka_offset": offset,
    }
    for position, name in plan.extras:
        values.insert(position, extra[name])
    return plan.spec, tuple(values)


@dataclass(frozen=True)
class _RawPlan:
    """How one event class becomes a raw row, worked out once: this runs for every event."""

    spec: TableSpec
    #: The event's fields in column order (the ingest columns left out), read in one C call.
    fields: Callable[[Envelope], tuple[Any, ...]]
    #: Indexes (into `fields`' tuple) of enum-typed fields, stored as their bare value.
    enums: tuple[int, ...]
    #: (column position, name) of the ingest columns, in increasing position.
    extras: tuple[tuple[int, str], ...]


_RAW_PLANS: dict[type, _RawPlan] = {}


def _raw_plan(event: Envelope) -> _RawPlan:
    spec = raw_table(event)
    names = [n for n in spec.column_names if n not in INGEST_COLUMNS]
    model_fields = type(event).model_fields
    enums = tuple(i for i, n in enumerate(names) if _is_enum(model_fields[n].annotation))
    extras = tuple((i, n) for i, n in enumerate(spec.column_names) if n in INGEST_COLUMNS)
    plan = _RawPlan(spec, attrgetter(*names), enums, extras)
    _RAW_PLANS[type(event)] = plan
    return plan


def _is_enum(annotation: Any) -> bool:
    """True for an Enum type, optional or not (`Status`, `Status | None`)."""
    if isinstance(annotation, type):
        return issubclass(annotation, Enum)
    return any(_is_enum(arg) for arg in get_args(annotation))


def alert_row(event: AlertEvent, version: int | None = None) -> Row:
    """One alert state change; `version` is the worker's (event.version), else the change's
    epoch ms (alerts from producers that set none); latest wins."""
    if version is None:
        version = event.version if event.version is not None else epoch_ms(event.occurred_at)
    extra = {"version": version, "backlog": 1 if event.backlog else 0}
    return tuple(
        extra[name] if name in extra else _value(getattr(event, name))
        for name in ALERTS.column_names
    )


def _original_bytes(letter: DeadLetter) -> bytes:
    try:
        return base64.b64decode(letter.original_b64, validate=True)
    except (binascii.Error, ValueError):
        return letter.original_text.encode("utf-8")


def deadletter_row(letter: DeadLetter, ingested_at: datetime | None = None) -> Row:
    """A dead letter with its original bytes restored (String holds any bytes)."""
    values = {
        "source": letter.source,
        "reason": letter.reason,
        "stage": letter.stage,
        "topic": letter.topic,
        "at": letter.at,
        "original": _original_bytes(letter),
        "ingested_at": ingested_at or datetime.now(UTC),
    }
    return row_from_mapping(DEADLETTERS, values)


def consumer_lag_row(
    worker: str,
    topic: str,
    partition: int,
    committed: int,
    end_offset: int,
    at: datetime | None = None,
) -> Row:
    """A lag sample of one consumer group on one partition (lag = end - committed, >= 0)."""
    values = {
        "worker": worker,
        "topic": topic,
        "partition": partition,
        "lag": max(0, end_offset - committed) if committed >= 0 else end_offset,
        "committed": committed,
        "end_offset": end_offset,
        "at": at or datetime.now(UTC),
    }
    return row_from_mapping(CONSUMER_LAG, values)


def row_from_mapping(spec: TableSpec, values: Mapping[str, Any]) -> Row:
    """A row from named values (e.g. a `dossier_state` dict); missing or unknown names raise.

    Failing here, in the worker, beats a column mismatch discovered by ClickHouse later.
    """
    names = spec.column_names
    missing = [n for n in names if n not in values]
    unknown = [k for k in values if k not in names]
    if missing or unknown:
        raise ValueError(f"{spec.name}: missing columns {missing}, unknown columns {unknown}")
    return tuple(_value(values[n]) for n in names)


#: The contract topic whose figures each table a worker writes holds (v_pipeline_health joins
#: the sink's state on it); tables of no topic report an empty one.
SINK_TABLE_TOPICS: dict[str, str] = {
    **{table.name: base for base, table in RAW_TABLES.items()},
    DOSSIER_STATE.name: DOSSIER.base,
    ALERTS.name: ALERTS_TOPIC.base,
    DEADLETTERS.name: DEADLETTER.base,
    CONSUMER_LAG.name: "",
    SINK_HEALTH.name: "",
}


def sink_health_rows(
    worker: str, sink: SinkMetrics, stuck_after: float, at: datetime | None = None
) -> list[Row]:
    """One sample of a worker's sink: every table, waiting or not (so a recovery shows)."""
    stuck = set(sink.stuck(stuck_after))
    when = at or datetime.now(UTC)
    return [
        row_from_mapping(
            SINK_HEALTH,
            {
                "worker": worker,
                "sink_table": table,
                "topic": topic,
                "waiting_seconds": round(sink.waiting_seconds.get(table, 0.0), 1),
                "stuck": int(table in stuck),
                "rejected_rows": sink.rows_rejected.get(table, 0),
                "at": when,
            },
        )
        for table, topic in SINK_TABLE_TOPICS.items()
    ]

"""The `dossier_state` row of a state, in the column order cityops.db.tables declares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cityops.db.tables import DOSSIER_STATE
from streams.dossier.state import DossierState, from_ms


def db_time(ms: int | None) -> datetime | None:
    """ClickHouse DateTime has whole seconds; naive UTC is what clickhouse-driver expects."""
    value = from_ms(ms)
    return None if value is None else value.replace(microsecond=0, tzinfo=None)


def state_row(state: DossierState, now: datetime | None = None) -> tuple[Any, ...]:
    values: dict[str, Any] = {
        "dossier_id": state.dossier_id,
        "status": state.status,
        "procedure_code": state.procedure_code,
        "procedure_name": state.procedure_name,
        "field_code": state.field_code,
        "agency_code": state.agency_code,
        "agency_name": state.agency_name,
        "area_code": state.area_code,
        "area_name": state.area_name,
        "channel": state.channel,
        "online_level": state.online_level,
        "applicant_type": state.applicant_type,
        "received_event_at": db_time(state.received_event_at),
        "received_at": db_time(state.received_at),
        "due_at": db_time(state.due_at),
        "first_resolved_event_at": db_time(state.first_resolved_event_at),
        "resolved_at": db_time(state.resolved_at),
        "closed": 1 if state.closed else 0,
        "closed_at": db_time(state.closed_at),
        "last_event_ms": max(state.last_event_ms, 0),
        "version": state.version,
        "updated_at": (now or datetime.now(UTC)).replace(microsecond=0, tzinfo=None),
    }
    return tuple(values[name] for name in DOSSIER_STATE.column_names)

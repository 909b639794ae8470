"""Business registration kept per day: the rows `v_business_registration` lists.

A business-registration dossier (field `BUSINESS_REGISTRATION_FIELD`, resolved, with a
received time) is listed on the local day of its first `resolved` event, under its latest
agency and area: the same cell as its resolved figures in `dossier_kpi_daily`
(streams/dossier/kpis.py). Its row there is written with the state's version on every state
change (status and times stay current); every other day cell the dossier has written KPI
rows in gets a row with `present = 0`, so a dossier whose day, agency or procedure changed
leaves the old cell. The day cells a dossier has KPI rows in (`known_cells`) are a
superset of every cell a business row was ever written in (the business cell is always the
resolved KPI cell), and `business_written` records that the dossier has rows here at all,
so only business registrations pay for this table, and a recovered state rewrites every
cell it may have a row in. Call `business_rows` after `changed_rows`, which records the cells.
"""

from __future__ import annotations

from typing import Any

from cityops.db.tables import BUSINESS_REGISTRATION_FIELD
from streams.dossier.kpis import Cell, day_cell, known_cells
from streams.dossier.rows import db_time
from streams.dossier.state import DossierState


def business_cell(state: DossierState) -> Cell | None:
    """The day cell where `state` is listed, or None when it is not listed."""
    if (
        state.field_code != BUSINESS_REGISTRATION_FIELD
        or state.first_resolved_event_at is None
        or state.received_at is None
    ):
        return None
    return day_cell(state.first_resolved_event_at, state)


def business_row(cell: Cell, state: DossierState, present: bool) -> tuple[Any, ...]:
    """One dossier's row in one day cell, in `business_registration_daily`'s column order."""
    return (
        cell.time_value(),
        cell.agency_code,
        cell.area_code,
        state.dossier_id,
        int(present),
        state.procedure_code,
        state.status,
        db_time(state.received_at),
        db_time(state.resolved_at),
        db_time(state.due_at),
        state.version,
    )


def business_rows(state: DossierState, was_listed: bool) -> list[tuple[Any, ...]]:
    """The rows of `state` (none unless it is or was a listed business registration);
    records in the state that it has rows here. `was_listed`: the state before this batch
    was listed (its rows may predate `business_written`: the history backfilled at the
    upgrade)."""
    now = business_cell(state)
    if now is None and not (state.business_written or was_listed):
        return []
    state.business_written = True
    days = [c for c in known_cells(state) if c.grain == "day"]
    return [business_row(cell, state, cell == now) for cell in days]

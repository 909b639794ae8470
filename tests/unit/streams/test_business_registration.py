"""Business registrations kept per day: listed where the view lists them, and leaving a
cell when a change moves them (the day, the agency, the procedure)."""

from __future__ import annotations

from typing import Any

from cityops.db.tables import BUSINESS_REGISTRATION_DAILY
from streams.dossier.business import business_cell, business_rows
from streams.dossier.kpis import Cell, contribution, kpi_rows
from streams.dossier.state import DossierState, merge

from .factories import BASE, dossier_event

COLUMNS = BUSINESS_REGISTRATION_DAILY.column_names


def _rows(
    state: DossierState, was_listed: bool = False, before: list[Cell] | None = None
) -> list[dict[str, Any]]:
    kpi_rows(state, before or [])  # records the cells, as the processor does first
    return [dict(zip(COLUMNS, r, strict=True)) for r in business_rows(state, was_listed)]


def _present(rows: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    return [(r["day"], r["agency_code"]) for r in rows if r["present"]]


def test_a_resolved_business_registration_is_listed_on_its_resolution_day() -> None:
    state = DossierState("D-1")
    merge(state, dossier_event("received", 0))
    assert _rows(state) == []  # not resolved yet: not listed, nothing written
    merge(state, dossier_event("resolved", 2 * 24 * 60))
    rows = _rows(state)
    assert _present(rows) == [(BASE.date().replace(day=BASE.day + 2), "SKHDT")]
    # The received day's cell gets a row too, not present: every day cell is written.
    assert [r["present"] for r in rows] == [0, 1] and {r["version"] for r in rows} == {2}


def test_other_fields_write_nothing() -> None:
    state = DossierState("D-1")
    for event in (
        dossier_event("received", 0, field="TP"),
        dossier_event("resolved", 30, field="TP"),
    ):
        merge(state, event)
    assert _rows(state) == [] and not state.business_written


def test_a_late_earlier_resolution_moves_the_row_to_its_day() -> None:
    state = DossierState("D-1")
    merge(state, dossier_event("received", 0))
    merge(state, dossier_event("resolved", 2 * 24 * 60))
    before = list(contribution(state))
    merge(state, dossier_event("resolved", 24 * 60, event_id="earlier"))
    rows = _rows(state, True, before)
    assert _present(rows) == [(BASE.date().replace(day=BASE.day + 1), "SKHDT")]
    left = [r for r in rows if r["day"] == BASE.date().replace(day=BASE.day + 2)]
    assert [r["present"] for r in left] == [0] and left[0]["version"] == state.version


def test_a_procedure_no_longer_business_registration_leaves_its_cell() -> None:
    state = DossierState("D-1")
    merge(state, dossier_event("received", 0))
    merge(state, dossier_event("resolved", 30))
    assert _present(_rows(state))
    merge(state, dossier_event("returned", 40, field="TP"))
    rows = _rows(state)
    assert rows and _present(rows) == []  # every cell written again, none present


def test_a_state_listed_before_the_upgrade_writes_its_cells_when_it_changes() -> None:
    """History backfilled from dossier_state has no `business_written` in the worker's state:
    the caller says the state before the batch was listed."""
    state = DossierState("D-1")
    merge(state, dossier_event("received", 0))
    merge(state, dossier_event("resolved", 30))
    was_listed, before = business_cell(state) is not None, list(contribution(state))
    merge(state, dossier_event("returned", 40, agency="STP", field="TP"))
    rows = _rows(state, was_listed, before)
    # The backfilled row's cell (agency SKHDT) is written again, not present.
    assert [r["present"] for r in rows if r["agency_code"] == "SKHDT"] == [0]
    assert _present(rows) == [] and state.business_written

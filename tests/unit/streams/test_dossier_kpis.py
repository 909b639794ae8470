"""Dossier KPIs from state transitions: old contribution out, new one in, sums exact."""

from __future__ import annotations

from collections import Counter as Tally

from hypothesis import given, settings
from hypothesis import strategies as st

from cityops.contract import DossierEvent
from streams.dossier.kpis import (
    COUNT_FIELDS,
    Cell,
    Counts,
    KpiFacts,
    KpiRow,
    changed_rows,
    contribution,
    known_cells,
    kpi_rows,
    new_epoch,
)
from streams.dossier.state import DossierState, merge

from .factories import BASE, dossier_event


def _state(*events: DossierEvent) -> DossierState:
    state = DossierState(dossier_id=events[0].dossier_id)
    for event in events:
        merge(state, event)
    return state


def _by_cell(rows: list[KpiRow], grain: str) -> dict[tuple[int, str], Counts]:
    return {(r.cell.at, r.cell.agency_code): r.counts for r in rows if r.cell.grain == grain}


def test_received_dossier_counts_once_per_grain_in_its_minute_and_local_day() -> None:
    cells = contribution(_state(dossier_event("received", 0)))
    minute = {c.at: n for c, n in cells.items() if c.grain == "minute"}
    assert minute == {
        int(BASE.timestamp()): Counts(received=1, online_received=1, full_online_received=1)
    }
    # 01:00Z is 08:00 in Hanoi, the same local day.
    assert [c.at for c in cells if c.grain == "day"] == [BASE.date().toordinal()]


def test_resolution_counts_on_time_with_its_processing_seconds() -> None:
    state = _state(dossier_event("received", 0), dossier_event("resolved", 90))
    cells = {c.at: n for c, n in contribution(state).items() if c.grain == "minute"}
    assert cells[int(BASE.timestamp()) + 5400] == Counts(
        resolved=1, resolved_on_time=1, processing_seconds=5400, processing_count=1
    )


def test_a_late_received_event_moves_the_dossier_to_its_earlier_day() -> None:
    state = _state(dossier_event("received", 0))
    first = kpi_rows(state)
    before = list(contribution(state))
    merge(state, dossier_event("received", -24 * 60, event_id="early"))
    rows = _by_cell(kpi_rows(state, before), "day")
    today, yesterday = BASE.date().toordinal(), BASE.date().toordinal() - 1
    assert rows[(today, "SKHDT")] == Counts()  # the day it left gets zeros...
    assert rows[(yesterday, "SKHDT")].received == 1  # ...under a newer version
    assert {r.version for r in first} == {1} and state.version == 2


def test_an_extension_turns_late_into_on_time() -> None:
    state = _state(dossier_event("received", 0, due_days=3), dossier_event("resolved", 5760))
    assert {r.counts.resolved_late for r in kpi_rows(state) if r.counts.resolved} == {1}
    # The source extends the deadline: a later event carries the new due date.
    merge(state, dossier_event("resolved", 5761, due_days=5, event_id="ext"))
    late_or_not = {(r.counts.resolved_on_time, r.counts.resolved_late) for r in kpi_rows(state)}
    assert (1, 0) in late_or_not and (0, 1) not in late_or_not


def test_an_agency_change_zeroes_the_old_cells() -> None:
    state = _state(dossier_event("received", 0), dossier_event("resolved", 30))
    before = list(contribution(state))
    merge(state, dossier_event("in_progress", 40, agency="STP"))
    rows = kpi_rows(state, before)
    assert {r.cell.agency_code for r in rows if r.counts.values() == Counts().values()} == {"SKHDT"}
    assert sum(r.counts.received for r in rows if r.cell.agency_code == "STP") == 2  # 2 grains


def test_cells_from_before_the_state_knew_them_are_zeroed_too() -> None:
    """Rows backfilled at the upgrade predate `kpi_cells`: the caller passes them as `before`."""
    state = _state(dossier_event("received", 0))
    before = list(contribution(state))
    merge(state, dossier_event("in_progress", 40, agency="STP"))
    zeroed = [r for r in kpi_rows(state, before) if r.cell.agency_code == "SKHDT"]
    assert len(zeroed) == 2 and all(r.counts == Counts() for r in zeroed)


def test_a_duplicate_rewrites_the_same_rows() -> None:
    event = dossier_event("received", 0)
    state = _state(event)
    first = [r.as_tuple() for r in kpi_rows(state)]
    restored = DossierState.from_dict(state.to_dict())  # as recovered from the changelog
    assert not merge(restored, event)
    assert [r.as_tuple() for r in kpi_rows(restored)] == first


LIFECYCLE = [
    ("received", 0, "SKHDT"),
    ("received", -1500, "SKHDT"),
    ("in_progress", 30, "STP"),
    ("resolved", 60 * 24 * 4, "STP"),
    ("resolved", 60 * 24 * 5, "STP"),
    ("returned", 60 * 24 * 6, "SKHDT"),
]


#: dossier_kpi_* as ReplacingMergeTree keeps it: (cell, dossier) -> (version, figures).
Table = dict[tuple[Cell, str], tuple[int, tuple[int, ...]]]


#: A lifecycle order, each step's dossier, and the steps whose rows a crash loses.
_deliveries_given = given(
    st.lists(st.sampled_from(range(len(LIFECYCLE))), min_size=1, max_size=12),
    st.lists(st.sampled_from(["D-1", "D-2"]), min_size=12, max_size=12),
    st.sets(st.integers(min_value=0, max_value=11)),
)


def _deliveries(
    order: list[int], owners: list[str], lost: set[int]
) -> list[tuple[DossierEvent, bool]]:
    """Each step's event and whether a crash lost its rows; the lost ones come again."""
    steps = [(i, o, step in lost) for step, (i, o) in enumerate(zip(order, owners, strict=False))]
    steps += [(i, o, False) for i, o, crashed in steps if crashed]  # redelivered
    deliveries = []
    for index, dossier_id, crashed in steps:
        status, minutes, agency = LIFECYCLE[index]
        event = dossier_event(
            status, minutes, dossier_id=dossier_id, agency=agency, event_id=f"{dossier_id}{index}"
        )
        deliveries.append((event, crashed))
    return deliveries


def _store(table: Table, rows: list[KpiRow]) -> None:
    for row in rows:
        key = (row.cell, row.dossier_id)
        if key not in table or table[key][0] <= row.version:
            table[key] = (row.version, row.counts.values())


def _assert_the_table_sums_to(states: dict[str, DossierState], table: Table) -> None:
    expected: Tally[tuple[Cell, str]] = Tally()
    for state in states.values():
        for cell, counts in contribution(state).items():
            for name in COUNT_FIELDS:
                expected[(cell, name)] += getattr(counts, name)
    actual: Tally[tuple[Cell, str]] = Tally()
    for (cell, _dossier), (_version, values) in table.items():
        for name, value in zip(COUNT_FIELDS, values, strict=True):
            actual[(cell, name)] += value
    assert +actual == +expected


@settings(max_examples=60, deadline=None)
@_deliveries_given
def test_rows_sum_to_the_final_states_contributions(
    order: list[int], owners: list[str], lost: set[int]
) -> None:
    """Any order, duplicates, and writes lost to crashes (the event is then redelivered):
    the table, keeping the highest version per (cell, dossier), sums to the truth."""
    states: dict[str, DossierState] = {}
    table: Table = {}
    for event, crashed in _deliveries(order, owners, lost):
        state = states.setdefault(event.dossier_id, DossierState(dossier_id=event.dossier_id))
        before = list(contribution(state))
        merge(state, event)
        rows = kpi_rows(state, before)
        if crashed:
            continue  # the state reached the changelog, the rows never reached ClickHouse
        _store(table, rows)
    _assert_the_table_sums_to(states, table)


def test_counts_values_follow_the_column_order() -> None:
    """`Counts` is summed field by field, and its values are the tables' columns in order."""
    counts = Counts(**{name: i for i, name in enumerate(COUNT_FIELDS, start=1)})
    assert counts.values() == tuple(range(1, len(COUNT_FIELDS) + 1))
    total = Counts().plus(counts).plus(counts)
    assert total.values() == tuple(2 * v for v in range(1, len(COUNT_FIELDS) + 1))


@settings(max_examples=500)
@given(st.integers(min_value=946_684_800, max_value=4_102_444_799))  # 2000 to 2099, UTC
def test_the_cached_local_day_is_the_day_of_the_moment_itself(seconds: int) -> None:
    """The local day is cached per UTC minute: exact only if no local midnight falls inside
    a minute, which holds for the zone's offsets over every time the contract accepts."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from cityops.settings import LOCAL_TZ
    from streams.dossier.kpis import day_cell

    state = DossierState(dossier_id="D", agency_code="A", area_code="X")
    local = datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(LOCAL_TZ)).date()
    assert day_cell(seconds * 1000 + 999, state).at == local.toordinal()


def test_a_run_writes_only_the_rows_that_changed_since_it_wrote_them() -> None:
    run, next_run = new_epoch(), new_epoch()
    state = DossierState(dossier_id="D-1")
    before = KpiFacts.of(state)
    merge(state, dossier_event("received", 0))
    assert changed_rows(state, before, run)  # new figures
    before = KpiFacts.of(state)
    merge(state, dossier_event("in_progress", 30, event_id="E-2"))
    assert changed_rows(state, before, run) == []  # same figures, written by this run
    recovered = DossierState.from_dict(state.to_dict())  # the next run, after a crash
    before = KpiFacts.of(recovered)
    merge(recovered, dossier_event("in_progress", 31, event_id="E-3"))
    again = changed_rows(recovered, before, next_run)
    assert [r.cell for r in again] == sorted(contribution(before))  # all, written again
    received_cells = set(contribution(recovered))
    before = KpiFacts.of(recovered)
    merge(recovered, dossier_event("resolved", 2 * 24 * 60, event_id="E-4"))
    resolved = changed_rows(recovered, before, next_run)
    # Only the resolution's cells: the received ones hold this run's rows, unchanged.
    assert {r.cell for r in resolved} == set(contribution(recovered)) - received_cells
    assert {r.counts.resolved for r in resolved} == {1}


def test_the_state_records_only_the_cells_it_left() -> None:
    """The cells a dossier is in follow from its state; the record (stored with every
    state) holds the ones it left, which a recovered state must still zero."""
    run = new_epoch()
    state = DossierState(dossier_id="D-1")
    for minutes, status in ((0, "received"), (30, "in_progress"), (60, "resolved")):
        before = KpiFacts.of(state)
        merge(state, dossier_event(status, minutes, event_id=f"E{minutes}"))
        changed_rows(state, before, run)
    assert state.kpi_cells == []
    before = KpiFacts.of(state)
    merge(state, dossier_event("returned", 90, agency="STP", event_id="E-agency"))
    rows = changed_rows(state, before, run)
    left = sorted(contribution(before))
    assert [Cell.of(c) for c in state.kpi_cells] == left
    assert [r.cell for r in rows if r.counts == Counts()] == left
    assert known_cells(state) == sorted([*left, *contribution(state)])


@settings(max_examples=80, deadline=None)
@_deliveries_given
def test_skipped_rows_still_sum_to_the_truth_across_crashes(
    order: list[int], owners: list[str], lost: set[int]
) -> None:
    """As above with `changed_rows`: a crash loses the batch's rows and ends the run; the
    next run recovers the states from the changelog and gets the events again."""
    states: dict[str, DossierState] = {}
    table: Table = {}
    epoch = new_epoch()
    for event, crashed in _deliveries(order, owners, lost):
        state = states.setdefault(event.dossier_id, DossierState(dossier_id=event.dossier_id))
        before = KpiFacts.of(state)
        merge(state, event)
        rows = changed_rows(state, before, epoch)
        if crashed:  # the state reached the changelog, the rows never reached ClickHouse
            states = {k: DossierState.from_dict(v.to_dict()) for k, v in states.items()}
            epoch = new_epoch()
            continue
        _store(table, rows)
    _assert_the_table_sums_to(states, table)

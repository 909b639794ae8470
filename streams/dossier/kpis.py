"""Dossier KPIs kept from state transitions: what `v_dossier_minute` and `v_dossier_daily` sum.

A dossier contributes to at most two cells per grain (UTC minute, local day): `received`
where its first `received` event falls, `resolved` (on time or late, with its processing
time) where its first `resolved` event falls, each under its latest agency and area.

The worker writes each dossier's contribution per cell as a row keyed by (cell, dossier)
with the state's version (ReplacingMergeTree), and the views sum the cells. When a state
changes, the old contribution is taken out and the new one put in: the cells it left get a
row of zeros, the cells whose figures changed get the new figures, all under the new
version (a late event that moves the day, an extension that turns late into on time, an
agency change). The cells a dossier has left are kept in its own state record
(`kpi_cells`), in the same changelog record as the state, and the cells it is in follow
from the state: after a crash, a recovered state knows every cell it may have a row in, and
the replayed event writes them all again (`changed_rows` writes only the changed rows of
states this worker run wrote itself). So the figures stay exact under at-least-once
delivery without any counter shared between dossiers (whose changelog could not be kept
atomic with the states'). Comparisons use whole seconds, as the `dossier_state` columns and
the batch rule do.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import add
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from cityops.settings import LOCAL_TZ
from streams.dossier.state import DossierState

Grain = Literal["minute", "day"]
_TZ = ZoneInfo(LOCAL_TZ)


class Cell(NamedTuple):
    """Where a contribution counts: a UTC minute (epoch seconds) or a local day (ordinal).

    A named tuple, not a frozen dataclass: a dossier event builds and hashes several, and a
    tuple is built and compared in C (`make bench`: the KPI rows are most of what the
    dossier workers pay for the KPIs). Orders as its fields, like the dataclass did."""

    grain: Grain
    at: int
    agency_code: str
    area_code: str

    def as_list(self) -> list[Any]:
        """JSON form, kept in the state record."""
        return [self.grain, self.at, self.agency_code, self.area_code]

    @classmethod
    def of(cls, item: Iterable[Any]) -> Cell:
        grain, at, agency, area = item
        return cls(grain, int(at), agency, area)

    def time_value(self) -> datetime | date:
        """The row's `minute` (naive UTC, as clickhouse-driver takes it) or `day`."""
        if self.grain == "minute":
            return _minute_value(self.at)
        return _day_value(self.at)


@lru_cache(maxsize=65536)
def _minute_value(at: int) -> datetime:
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None)


@lru_cache(maxsize=4096)
def _day_value(ordinal: int) -> date:
    return date.fromordinal(ordinal)


@lru_cache(maxsize=65536)
def _local_day(minute: int) -> int:
    """The local day (ordinal) of a UTC minute (epoch seconds at its start); cached, as a
    backlog's events come minute after minute. Exact for every time the contract accepts
    (from 2000 on, cityops/contract/bounds.py): the zone's offsets since 1911 are whole
    hours, so no local midnight falls inside a UTC minute (a unit test checks it)."""
    return datetime.fromtimestamp(minute, UTC).astimezone(_TZ).date().toordinal()


class Counts(NamedTuple):
    """The figures of one dossier in one cell; the field order is the tables' column order.

    A named tuple, built and compared in C: every dossier event that changes a figure
    builds its contribution before and after (`make bench`)."""

    received: int = 0
    online_received: int = 0
    full_online_received: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    processing_seconds: int = 0
    processing_count: int = 0

    def values(self) -> tuple[int, ...]:
        """In COUNT_FIELDS' order."""
        return tuple(self)

    def plus(self, other: Counts) -> Counts:
        return Counts._make(map(add, self, other))


COUNT_FIELDS: tuple[str, ...] = Counts._fields


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def day_cell(at_ms: int, state: DossierState | KpiFacts) -> Cell:
    """The local day cell of a moment (epoch ms), under the state's agency and area."""
    seconds = at_ms // 1000
    return Cell("day", _local_day(seconds - seconds % 60), state.agency_code, state.area_code)


def _cells(at_ms: int, facts: KpiFacts) -> tuple[Cell, Cell]:
    """The minute and the local day cell of a moment (epoch ms)."""
    seconds = at_ms // 1000
    minute = seconds - seconds % 60
    return (
        Cell("minute", minute, facts.agency_code, facts.area_code),
        Cell("day", _local_day(minute), facts.agency_code, facts.area_code),
    )


class KpiFacts(NamedTuple):
    """The fields of a state its contribution is made of: equal facts, equal contribution.

    Kept per dossier at the start of a batch and compared after it, which is far cheaper
    than building both contributions for the middle events that change none of them."""

    received_event_at: int | None
    first_resolved_event_at: int | None
    agency_code: str
    area_code: str
    channel: str
    online_level: str
    received_at: int | None
    resolved_at: int | None
    due_at: int | None

    @classmethod
    def of(cls, state: DossierState) -> KpiFacts:
        return cls(
            state.received_event_at,
            state.first_resolved_event_at,
            state.agency_code,
            state.area_code,
            state.channel,
            state.online_level,
            state.received_at,
            state.resolved_at,
            state.due_at,
        )


def contribution(state: DossierState | KpiFacts) -> dict[Cell, Counts]:
    """What one dossier adds to the figures, per cell of both grains."""
    facts = state if isinstance(state, KpiFacts) else KpiFacts.of(state)
    out: dict[Cell, Counts] = {}
    if facts.received_event_at is not None:
        received = Counts(
            1, int(facts.channel == "online"), int(facts.online_level == "full"), 0, 0, 0, 0, 0
        )
        for cell in _cells(facts.received_event_at, facts):
            out[cell] = received
    if facts.first_resolved_event_at is not None:
        resolved_s, due_s = _seconds(facts.resolved_at), _seconds(facts.due_at)
        on_time = int(resolved_s is not None and due_s is not None and resolved_s <= due_s)
        received_s = _seconds(facts.received_at)
        timed = received_s is not None and resolved_s is not None
        resolved = Counts(
            0,
            0,
            0,
            1,
            on_time,
            1 - on_time,
            (resolved_s or 0) - (received_s or 0) if timed else 0,
            int(timed),
        )
        for cell in _cells(facts.first_resolved_event_at, facts):
            counts = out.get(cell)
            out[cell] = resolved if counts is None else counts.plus(resolved)
    return out


class KpiRow(NamedTuple):
    """One dossier's figures in one cell, as its table row."""

    cell: Cell
    dossier_id: str
    counts: Counts
    version: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.cell.time_value(),
            self.cell.agency_code,
            self.cell.area_code,
            self.dossier_id,
            *self.counts,
            self.version,
        )


def new_epoch() -> int:
    """A worker run's mark for `changed_rows`: random, so no other run has it, never 0."""
    return secrets.randbits(62) + 1


def changed_rows(state: DossierState, before: KpiFacts, epoch: int) -> list[KpiRow]:
    """The rows this batch must write for `state` (`before`: its facts before the batch).

    A state this worker run wrote itself gets only the cells whose figures changed (the
    cells it left get zeros): its other rows are in ClickHouse, or in the sink, unchanged
    since this run wrote them. A state recovered from the changelog can be ahead of
    ClickHouse (a crash between the changelog and the flush), so it gets every cell it may
    have a row in, whatever changed: its `kpi_epoch` is another run's. A run renews its
    epoch when partitions are assigned, and its own rows reach ClickHouse before their
    offsets are acknowledged, or the run ends. Most of a dossier's events change none of
    its figures, and so write no KPI row (`make bench`).
    """
    now_facts = KpiFacts.of(state)
    own = state.kpi_epoch == epoch
    if own and now_facts == before:
        return []
    was, now = contribution(before), contribution(now_facts)
    state.kpi_epoch = epoch
    if not own:
        return kpi_rows(state, was, now)
    cells = sorted(c for c in was.keys() | now.keys() if was.get(c) != now.get(c))
    if state.kpi_cells or not now.keys() >= was.keys():  # a cell left, or left before
        _record(state, was, now)
    return [KpiRow(c, state.dossier_id, now.get(c) or Counts(), state.version) for c in cells]


def kpi_rows(
    state: DossierState, before: Iterable[Cell] = (), now: dict[Cell, Counts] | None = None
) -> list[KpiRow]:
    """The rows of every cell `state` may have a row in: its contribution, zeros for every
    cell it has left; records them.

    `before` are the cells of the state as it was before this batch: `kpi_cells` holds
    only the cells it left before that, and its rows may predate `kpi_cells` (the history
    backfilled at the upgrade).
    """
    now = contribution(state) if now is None else now
    written = _record(state, before, now)
    return [KpiRow(c, state.dossier_id, now.get(c) or Counts(), state.version) for c in written]


def known_cells(state: DossierState) -> list[Cell]:
    """Every cell `state` may have a KPI row in, sorted (after `changed_rows`/`kpi_rows`)."""
    return sorted(_left(state) | contribution(state).keys())


def _left(state: DossierState) -> set[Cell]:
    return set(map(Cell.of, state.kpi_cells))


def _record(state: DossierState, before: Iterable[Cell], now: dict[Cell, Counts]) -> list[Cell]:
    """Records in `state.kpi_cells` the cells written that its contribution left: the
    cells it is in follow from the state itself, so the record stays empty for most
    dossiers (it is stored with every state). Returns every cell known, sorted."""
    known = _left(state).union(before, now)
    state.kpi_cells = [c.as_list() for c in sorted(known.difference(now))]
    return sorted(known)

"""Dossier KPIs kept from state transitions: what `v_dossier_minute` and `v_dossier_daily` sum.

A dossier contributes to at most two cells per grain (UTC minute, local day): `received`
where its first `received` event falls, `resolved` (on time or late, with its processing
time) where its first `resolved` event falls, each under its latest agency and area.

The worker writes each dossier's contribution per cell as a row keyed by (cell, dossier)
with the state's version (ReplacingMergeTree), and the views sum the cells. When a state
changes, the old contribution is taken out and the new one put in: the cells it left get a
row of zeros, the cells it is in get its new figures, all under the new version (a late
event that moves the day, an extension that turns late into on time, an agency change).
The cells a dossier has ever written are kept in its own state record (`kpi_cells`), in the
same changelog record as the state: after a crash, a recovered state knows every cell it
may have a row in, and the replayed event writes them all again. So the figures stay exact
under at-least-once delivery without any counter shared between dossiers (whose changelog
could not be kept atomic with the states'). Comparisons use whole seconds, as the
`dossier_state` columns and the batch rule do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cityops.settings import LOCAL_TZ
from streams.dossier.state import DossierState

Grain = Literal["minute", "day"]
_TZ = ZoneInfo(LOCAL_TZ)


@dataclass(frozen=True, order=True)
class Cell:
    """Where a contribution counts: a UTC minute (epoch seconds) or a local day (ordinal)."""

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
            return datetime.fromtimestamp(self.at, UTC).replace(tzinfo=None)
        return date.fromordinal(self.at)


@dataclass
class Counts:
    """The figures of one dossier in one cell; the field order is the tables' column order."""

    received: int = 0
    online_received: int = 0
    full_online_received: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    processing_seconds: int = 0
    processing_count: int = 0

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in COUNT_FIELDS)

    def add(self, other: Counts) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def day_cell(at_ms: int, state: DossierState) -> Cell:
    """The local day cell of a moment (epoch ms), under the state's agency and area."""
    day = datetime.fromtimestamp(at_ms // 1000, UTC).astimezone(_TZ).date().toordinal()
    return Cell("day", day, state.agency_code, state.area_code)


def _cells(at_ms: int, state: DossierState) -> Iterator[Cell]:
    seconds = at_ms // 1000
    yield Cell("minute", seconds - seconds % 60, state.agency_code, state.area_code)
    yield day_cell(at_ms, state)


def contribution(state: DossierState) -> dict[Cell, Counts]:
    """What one dossier adds to the figures, per cell of both grains."""
    out: dict[Cell, Counts] = {}
    if state.received_event_at is not None:
        received = Counts(
            received=1,
            online_received=int(state.channel == "online"),
            full_online_received=int(state.online_level == "full"),
        )
        for cell in _cells(state.received_event_at, state):
            out.setdefault(cell, Counts()).add(received)
    if state.first_resolved_event_at is not None:
        resolved_s, due_s = _seconds(state.resolved_at), _seconds(state.due_at)
        on_time = int(resolved_s is not None and due_s is not None and resolved_s <= due_s)
        received_s = _seconds(state.received_at)
        timed = received_s is not None and resolved_s is not None
        resolved = Counts(
            resolved=1,
            resolved_on_time=on_time,
            resolved_late=1 - on_time,
            processing_seconds=(resolved_s or 0) - (received_s or 0) if timed else 0,
            processing_count=int(timed),
        )
        for cell in _cells(state.first_resolved_event_at, state):
            out.setdefault(cell, Counts()).add(resolved)
    return out


@dataclass(frozen=True)
class KpiRow:
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
            *self.counts.values(),
            self.version,
        )


def kpi_rows(state: DossierState, before: Iterable[Cell] = ()) -> list[KpiRow]:
    """The rows of `state`'s contribution, zeros for every cell it has left; records them.

    `before` are the cells of the state as it was before this batch (its rows may predate
    `kpi_cells`: the history backfilled at the upgrade). Every cell written is added to
    `state.kpi_cells`, which the caller stores with the state.
    """
    now = contribution(state)
    written = {Cell.of(c) for c in state.kpi_cells} | set(before) | set(now)
    state.kpi_cells = [c.as_list() for c in sorted(written)]
    return [
        KpiRow(cell, state.dossier_id, now.get(cell, Counts()), state.version)
        for cell in sorted(written)
    ]

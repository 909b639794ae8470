"""Per-dossier lifecycle state, built so that duplicates, replays and any arrival order
converge to the same result.

`merge` is a join in the lattice sense: every field is a min, a max or "value of the
latest event" under the total order (occurred_ms, event_id). So merging an event twice, or
merging a set of events in any order, gives the same state. That is what lets the workers run
at-least-once (replay after a crash) and still write exact figures: a replayed event changes
nothing, and the state row written to ClickHouse (`dossier_state`, ReplacingMergeTree by
`version`) only ever grows.

The same rule is implemented independently in batch SQL (cityops.db.reconcile) and the
pipeline tests check the two agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from cityops.contract import DossierEvent
from cityops.contract.enums import CLOSING_STATUSES, DossierStatus
from cityops.db.tables import DOSSIER_DESCRIPTIVE_FIELDS

#: Fields copied from the latest event.
DESCRIPTIVE = DOSSIER_DESCRIPTIVE_FIELDS


def to_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def event_fingerprint(event_id: str) -> int:
    """A stable 63-bit fingerprint: a set of ints is far smaller than a set of ids."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=8).digest(), "big") >> 1


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass
class PublishedAlert:
    """The last change of one alert kind this dossier's workers published: enough to publish
    it again unchanged (after a crash may have lost it) and to version the next one."""

    opened_ms: int
    resolved_ms: int | None
    version: int
    backlog: bool = False

    @property
    def firing(self) -> bool:
        return self.resolved_ms is None


@dataclass
class DossierState:
    dossier_id: str
    status: str = ""
    procedure_code: str = ""
    procedure_name: str = ""
    field_code: str = ""
    agency_code: str = ""
    agency_name: str = ""
    area_code: str = ""
    area_name: str = ""
    channel: str = ""
    online_level: str = ""
    applicant_type: str = ""
    #: (occurred_ms, event_id) of the event the descriptive fields come from.
    latest: tuple[int, str] = (-1, "")
    received_at: int | None = None
    received_at_order: tuple[int, str] = (-1, "")
    due_at: int | None = None
    due_at_order: tuple[int, str] = (-1, "")
    received_event_at: int | None = None
    first_resolved_event_at: int | None = None
    #: Tie-break of the first resolved event (its event_id), so resolved_at is deterministic.
    first_resolved_id: str = ""
    resolved_at: int | None = None
    closed_at: int | None = None
    seen: set[int] = field(default_factory=set)
    #: Alerts of this dossier now firing: kind -> opened_at (ms).
    firing: dict[str, int] = field(default_factory=dict)
    #: The KPI cells this dossier has written a row in and since left, as [grain, at,
    #: agency, area] (streams/dossier/kpis.py): kept with the state so a recovered state
    #: knows every cell it has a row in (the cells it is in follow from the state itself).
    kpi_cells: list[list[Any]] = field(default_factory=list)
    #: The worker run that last wrote this dossier's KPI rows (streams/dossier/kpis.py
    #: `changed_rows`); 0 when none did, or before the field existed.
    kpi_epoch: int = 0
    #: Whether a row of this dossier was written to `dossier_open` (then its closing is too).
    open_written: bool = False
    #: Whether rows of this dossier were written to `business_registration_daily` (then its
    #: day cells are rewritten on every change: streams/dossier/business.py).
    business_written: bool = False
    #: The last published change per alert kind (kept after it resolves: versions only grow).
    published: dict[str, PublishedAlert] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return len(self.seen)

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_open(self) -> bool:
        """Open from `received` until a closing status (contract: how each figure counts)."""
        return self.received_event_at is not None and not self.closed

    @property
    def last_event_ms(self) -> int:
        return self.latest[0]

    # -- serialisation for the Faust table (JSON) -------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # Hand-written rather than dataclasses.asdict: this runs once per event (hot path).
        data = {name: getattr(self, name) for name in _FIELDS}
        data["seen"] = sorted(self.seen)
        data["firing"] = dict(self.firing)
        data["kpi_cells"] = [list(c) for c in self.kpi_cells]
        # vars, not asdict: its recursive copy was a tenth of this method (`make bench`).
        data["published"] = {kind: dict(vars(alert)) for kind, alert in self.published.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DossierState:
        values = dict(data)
        values["seen"] = set(values.get("seen", ()))
        published = values.get("published", {})
        values["published"] = {kind: PublishedAlert(**alert) for kind, alert in published.items()}
        for key in ("latest", "received_at_order", "due_at_order"):
            values[key] = tuple(values.get(key, (-1, "")))
        return cls(**values)


_FIELDS = tuple(f.name for f in fields(DossierState))


def merge(state: DossierState, event: DossierEvent) -> bool:
    """Fold one event into the state; returns False when it was already seen."""
    fingerprint = event_fingerprint(event.event_id)
    if fingerprint in state.seen:
        return False
    state.seen.add(fingerprint)
    occurred = to_ms(event.occurred_at)
    order = (occurred, event.event_id)

    if order > state.latest:
        state.latest = order
        for name in DESCRIPTIVE:
            value = getattr(event, name)
            setattr(state, name, value.value if hasattr(value, "value") else value)
    if event.received_at is not None and order > state.received_at_order:
        state.received_at_order = order
        state.received_at = to_ms(event.received_at)
    if event.due_at is not None and order > state.due_at_order:
        state.due_at_order = order
        state.due_at = to_ms(event.due_at)

    status = event.status
    if status == DossierStatus.RECEIVED:
        state.received_event_at = _min(state.received_event_at, occurred)
    if status == DossierStatus.RESOLVED:
        current = (state.first_resolved_event_at, state.first_resolved_id)
        if state.first_resolved_event_at is None or (occurred, event.event_id) < current:
            state.first_resolved_event_at = occurred
            state.first_resolved_id = event.event_id
            state.resolved_at = to_ms(event.resolved_at) if event.resolved_at else occurred
    if status in CLOSING_STATUSES:
        state.closed_at = _min(state.closed_at, occurred)
    return True

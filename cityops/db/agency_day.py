"""One local day's figures per agency, from the read API: what `cityops kpi` prints and the
demo shows. One UNION ALL of per-view aggregates, no JOIN (ClickHouse 18.16 allows one JOIN
per SELECT, and this needs four sources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityops.db.client import read_settings_clause
from cityops.db.tables import (
    V_DOSSIER_DAILY,
    V_DOSSIER_OPEN,
    V_PAYMENT_DAILY,
    V_PORTAL_DAILY,
    qualified,
)

#: Output columns, in order; each branch of the union fills its own and zeroes the rest.
COLUMNS = (
    "received",
    "online_received",
    "resolved",
    "resolved_on_time",
    "processing_hours_sum",
    "processing_hours_count",
    "open",
    "overdue",
    "succeeded",
    "cashless_succeeded",
    "amount_vnd",
    "ratings",
    "satisfied_ratings",
)
_FLOAT = {"processing_hours_sum"}


@dataclass(frozen=True)
class AgencyDay:
    agency_code: str
    received: int
    online_received: int
    resolved: int
    resolved_on_time: int
    processing_hours_sum: float
    processing_hours_count: int
    open: int
    overdue: int
    succeeded: int
    cashless_succeeded: int
    amount_vnd: int
    ratings: int
    satisfied_ratings: int

    @property
    def avg_processing_hours(self) -> float | None:
        count = self.processing_hours_count
        return self.processing_hours_sum / count if count else None


def _branch(source: str, filled: dict[str, str], where: str = "") -> str:
    values = []
    for column in COLUMNS:
        cast = "toFloat64" if column in _FLOAT else "toUInt64"
        values.append(f"{cast}({filled.get(column, '0')}) AS {column}")
    return f"SELECT agency_code, {', '.join(values)} FROM {source} {where}"


def query(database: str, day: str | None = None) -> str:
    """`day` is YYYY-MM-DD; None means today in Asia/Ho_Chi_Minh."""
    day_sql = f"toDate('{day}')" if day else "toDate(toTimeZone(now(), 'Asia/Ho_Chi_Minh'))"
    on_day = f"WHERE day = {day_sql}"
    same = {c: c for c in COLUMNS}
    branches = [
        _branch(qualified(V_DOSSIER_DAILY, database), {c: same[c] for c in COLUMNS[:6]}, on_day),
        _branch(qualified(V_DOSSIER_OPEN, database), {"open": "1", "overdue": "is_overdue"}),
        _branch(qualified(V_PAYMENT_DAILY, database), {c: same[c] for c in COLUMNS[8:11]}, on_day),
        _branch(qualified(V_PORTAL_DAILY, database), {c: same[c] for c in COLUMNS[11:]}, on_day),
    ]
    totals = ", ".join(f"sum({c}) AS {c}_total" for c in COLUMNS)
    return (
        f"SELECT agency_code, {totals} FROM ({' UNION ALL '.join(branches)}) "
        "GROUP BY agency_code ORDER BY received_total DESC, agency_code " + read_settings_clause()
    )


def fetch(client: Any, database: str, day: str | None = None) -> list[AgencyDay]:
    return [AgencyDay(*row) for row in client.execute(query(database, day))]

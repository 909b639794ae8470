"""SQL fragments every panel shares, written once.

The queries run on ClickHouse 18.16 (the local stack) and on current ClickHouse alike, so
they keep to what both understand: no `toStartOfInterval` (hence no `$__timeInterval`
macro; `bucket()` rounds with integer division instead), one JOIN per SELECT (nest for
more), explicit `ANY LEFT JOIN` strictness. Rates are always sum(part) / sum(whole) so that
any grouping stays right, and a rate over nothing is NULL, not 0 or infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.db.tables import REF_AGENCIES, REF_AREAS
from cityops.settings import LOCAL_TZ

TZ = LOCAL_TZ

#: The local day of "now": the wall's "today" whatever the time picker says.
TODAY = f"toDate(now(), '{TZ}')"
#: Local days covered by the dashboard's time range (the daily views' `day` is local).
DAYS_IN_RANGE = f"day >= toDate($__fromTime, '{TZ}') AND day <= toDate($__toTime, '{TZ}')"
#: Local days wholly inside the dashboard's range: the first and last may be partial.
WHOLE_DAYS_IN_RANGE = f"day > toDate($__fromTime, '{TZ}') AND day < toDate($__toTime, '{TZ}')"
#: The range's minutes on its first and last local days (all of it when it spans at most two
#: days): with WHOLE_DAYS_IN_RANGE, every minute of the range exactly once.
EDGE_MINUTES = (
    f"$__timeFilter(minute) AND (minute < toDateTime(toDate($__fromTime, '{TZ}') + 1, '{TZ}') "
    f"OR minute >= toDateTime(toDate($__toTime, '{TZ}'), '{TZ}'))"
)
#: The last 7 local days before today: a baseline for "is today worse than usual".
LAST_7_DAYS = f"day >= {TODAY} - 7 AND day < {TODAY}"


def ratio(part: str, whole: str) -> str:
    """sum(part) / sum(whole), NULL when the whole is 0."""
    return f"sum({part}) / nullIf(sum({whole}), 0)"


def rate(part: str, whole: str) -> str:
    """part / whole of already summed columns, NULL when the whole is 0."""
    return f"{part} / nullIf({whole}, 0)"


def day_time() -> str:
    """A daily view's local `day` as the time column of a time series."""
    return f"toDateTime(day, '{TZ}') AS time"


def bucket(column: str, at_least_s: int = 0) -> str:
    """Round a DateTime column down to the panel's interval (Grafana's `$__interval_s`), or to
    `at_least_s` seconds when the interval is shorter (a view with coarser rows)."""
    width = f"greatest($__interval_s, {at_least_s})" if at_least_s else "$__interval_s"
    return f"toDateTime(intDiv(toUInt32({column}), {width}) * {width}) AS time"


#: From this interval up (Grafana picks 30 minutes for 30 days on a wide panel, a few minutes
#: for a day or two), a time series over a minute view reads its hourly view instead, in
#: buckets of at least an hour: over a wide range the minute rows, not the points drawn, made
#: its cost. The query holds both SELECTs; the one whose condition is false reads nothing.
COARSE_FROM_INTERVAL_S = 900
FINE_INTERVAL = f"$__interval_s < {COARSE_FROM_INTERVAL_S}"
COARSE_INTERVAL = f"$__interval_s >= {COARSE_FROM_INTERVAL_S}"

#: From this interval up (Grafana's 30 minutes for 30 days, from about three weeks on a wide
#: panel), a time series whose minute view reads a row per dossier reads the daily view
#: instead, one point per local day: a country's hours hold about one dossier per agency and
#: area, so an hourly view would cost as many rows as the minute one (make bench-queries,
#: README "Performance"), while a settled day is read from its rolled-up cells.
DAILY_FROM_INTERVAL_S = 1800
BELOW_DAILY_INTERVAL = f"$__interval_s < {DAILY_FROM_INTERVAL_S}"
DAILY_INTERVAL = f"$__interval_s >= {DAILY_FROM_INTERVAL_S}"


def in_variable(column: str, variable: str) -> str:
    """`column IN (...)` over a multi-value template variable ("All" expands to every value)."""
    return f"{column} IN (${{{variable}:singlequote}})"


def agency_names(inner: str, *, key: str = "agency_code") -> str:
    """Add `agency_name` (and the agency's `on_time_target`) to a per-agency subquery."""
    return (
        f"(\n{inner}\n) AS t ANY LEFT JOIN (SELECT agency_code AS {key}, agency_name, "
        f"on_time_target FROM {REF_AGENCIES.name}) AS a USING ({key})"
    )


def area_names(inner: str) -> str:
    """Add `area_name` to a per-area subquery."""
    return (
        f"(\n{inner}\n) AS t ANY LEFT JOIN (SELECT area_code, area_name FROM {REF_AREAS.name}) "
        "AS r USING (area_code)"
    )


@dataclass(frozen=True)
class Scope:
    """Which agencies/areas a panel covers: all (the wall) or the drill-down's variables."""

    agency_var: str | None = None
    area_var: str | None = None
    procedure_var: str | None = None

    def where(self, *, area: bool = True, procedure: bool = False) -> str:
        """A WHERE condition; `area=False` for views without `area_code` (portal),
        `procedure=True` for the views that have `procedure_code` (open dossiers)."""
        parts = []
        if self.agency_var:
            parts.append(in_variable("agency_code", self.agency_var))
        if self.area_var and area:
            parts.append(in_variable("area_code", self.area_var))
        if self.procedure_var and procedure:
            parts.append(in_variable("procedure_code", self.procedure_var))
        return " AND ".join(parts) or "1"


#: The whole province.
EVERYWHERE = Scope()

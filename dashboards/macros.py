"""Expand Grafana's ClickHouse-plugin macros and template variables the way Grafana does.

The dashboards cannot be opened here (no Grafana server), so their proof runs every panel,
variable and alert query against a real ClickHouse after expanding it with this module.
The expansions follow the plugin's `pkg/macros` (v4): time bounds become
`toDateTime(<unix seconds>)`, `$__interval_s` an integer of seconds. Template variables
follow Grafana's formats: `${var:singlequote}` is `'a','b'`, `${var}` / `$var` the values
joined by commas; "All" expands to every option unless the variable has an `allValue`.
`$__conditionalAll` is not supported (and not used): "All" is a real list here. An
unknown macro or variable is an error, so a typo fails the proof instead of passing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

ALL = "$__all"

#: A macro call; its arguments may hold one level of parentheses, e.g. `f(col)`.
_FUNCTION = re.compile(r"\$__(\w+)\(((?:[^()]|\([^()]*\))*)\)")
_BARE = re.compile(r"\$__(\w+)")
_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


class MacroError(ValueError):
    """A query uses a macro or variable this expander (and so the proof) does not know."""


@dataclass(frozen=True)
class QueryContext:
    """What Grafana knows when it sends a query: the time range, interval and variables."""

    time_from: datetime
    time_to: datetime
    interval_s: int = 60
    #: Selected values per variable; `[ALL]` selects "All".
    variables: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Every option of each variable (what "All" expands to).
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Custom "All" value of a variable, when set.
    all_values: Mapping[str, str] = field(default_factory=dict)


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise MacroError("time range bounds must be timezone-aware")
    return int(moment.timestamp())


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _function_macro(name: str, args: list[str], ctx: QueryContext) -> str:
    start, end = f"toDateTime({_unix(ctx.time_from)})", f"toDateTime({_unix(ctx.time_to)})"
    if name in ("timeFilter", "dateFilter", "timeInterval") and len(args) != 1:
        raise MacroError(f"$__{name} takes one argument, got {len(args)}")
    if name == "timeFilter":
        return f"{args[0]} >= {start} AND {args[0]} <= {end}"
    if name == "dateFilter":
        first, last = f"toDate('{_date(ctx.time_from)}')", f"toDate('{_date(ctx.time_to)}')"
        return f"{args[0]} >= {first} AND {args[0]} <= {last}"
    if name == "timeInterval":
        return f"toStartOfInterval(toDateTime({args[0]}), INTERVAL {ctx.interval_s} second)"
    if name in ("fromTime", "toTime") and not any(a.strip() for a in args):
        return start if name == "fromTime" else end
    raise MacroError(f"unknown macro $__{name}()")


def _bare_macro(name: str, ctx: QueryContext) -> str:
    if name == "fromTime":
        return f"toDateTime({_unix(ctx.time_from)})"
    if name == "toTime":
        return f"toDateTime({_unix(ctx.time_to)})"
    if name == "interval_s":
        return str(max(int(ctx.interval_s), 1))
    raise MacroError(f"unknown macro $__{name}")


def _values(name: str, ctx: QueryContext) -> list[str] | str:
    if name not in ctx.variables:
        raise MacroError(f"unknown template variable ${name}")
    selected = list(ctx.variables[name])
    if selected == [ALL]:
        if name in ctx.all_values:
            return ctx.all_values[name]  # a custom "All" value is inserted verbatim
        return list(ctx.options.get(name, []))
    return selected


def _format(values: list[str] | str, fmt: str | None) -> str:
    if isinstance(values, str):
        return values
    if fmt in (None, "csv", "raw"):
        return ",".join(values)
    if fmt in ("singlequote", "sqlstring"):
        if not values:
            return "''"  # Grafana sends an empty string: IN ('') matches nothing
        return ",".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    raise MacroError(f"unsupported variable format :{fmt}")


def expand(sql: str, ctx: QueryContext) -> str:
    """The SQL Grafana would send to ClickHouse for `sql` in `ctx`."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name.startswith("__"):
            return match.group(0)  # a macro, handled below
        return _format(_values(name, ctx), match.group(2))

    # Variables first (Grafana interpolates them before the plugin sees the query).
    sql = _VARIABLE.sub(variable, sql)
    sql = _FUNCTION.sub(lambda m: _function_macro(m.group(1), _split_args(m.group(2)), ctx), sql)
    return _BARE.sub(lambda m: _bare_macro(m.group(1), ctx), sql)


def _split_args(raw: str) -> list[str]:
    return [a.strip() for a in raw.split(",")] if raw.strip() else []

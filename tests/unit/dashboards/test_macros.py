"""The macro expander sends what Grafana's ClickHouse plugin would send, and refuses typos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dashboards.macros import ALL, MacroError, QueryContext, expand

FROM = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
TO = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
CTX = QueryContext(
    FROM,
    TO,
    interval_s=120,
    variables={"agency": ["STP", "SXD"], "area": [ALL], "one": ["O'Brien"]},
    options={"area": ["356", "358"]},
)


def test_time_macros_become_unix_seconds() -> None:
    sql = expand("SELECT 1 WHERE $__timeFilter(minute) AND d >= $__fromTime", CTX)
    start, end = int(FROM.timestamp()), int(TO.timestamp())
    assert sql == (
        f"SELECT 1 WHERE minute >= toDateTime({start}) AND minute <= toDateTime({end}) "
        f"AND d >= toDateTime({start})"
    )
    assert expand("$__toTime", CTX) == f"toDateTime({end})"


def test_time_filter_takes_an_expression_with_parentheses() -> None:
    sql = expand("$__timeFilter(assumeNotNull(at))", CTX)
    assert sql.startswith("assumeNotNull(at) >= toDateTime(")


def test_interval_and_buckets() -> None:
    assert expand("intDiv(x, $__interval_s)", CTX) == "intDiv(x, 120)"
    assert expand("$__timeInterval(t)", CTX) == (
        "toStartOfInterval(toDateTime(t), INTERVAL 120 second)"
    )


def test_date_filter_uses_utc_dates() -> None:
    late_evening = datetime(2026, 3, 1, 23, 0, tzinfo=timezone(timedelta(hours=7)))
    ctx = QueryContext(late_evening, late_evening + timedelta(hours=1))
    assert expand("$__dateFilter(day)", ctx) == (
        "day >= toDate('2026-03-01') AND day <= toDate('2026-03-01')"
    )


def test_multi_value_and_all_variables() -> None:
    assert expand("agency_code IN (${agency:singlequote})", CTX) == "agency_code IN ('STP','SXD')"
    assert expand("area_code IN (${area:singlequote})", CTX) == "area_code IN ('356','358')"
    assert expand("$agency", CTX) == "STP,SXD"
    assert expand("${one:singlequote}", CTX) == "'O\\'Brien'"


def test_custom_all_value_is_used_verbatim() -> None:
    ctx = QueryContext(FROM, TO, variables={"area": [ALL]}, all_values={"area": "'%'"})
    assert expand("${area}", ctx) == "'%'"


@pytest.mark.parametrize(
    "sql",
    ["$__timeFiltr(x)", "$__unknown", "${nobody}", "$__timeFilter(a, b)", "${agency:json}"],
)
def test_unknown_macros_and_variables_fail_loudly(sql: str) -> None:
    with pytest.raises(MacroError):
        expand(sql, CTX)


def test_naive_time_range_is_refused() -> None:
    with pytest.raises(MacroError):
        expand("$__fromTime", QueryContext(datetime(2026, 1, 1), TO))

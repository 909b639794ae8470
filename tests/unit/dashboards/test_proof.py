"""The shape checks the live proof relies on accept what panels read and reject the rest."""

from __future__ import annotations

from dashboards.proof import all_queries, shape_problems


def test_stat_needs_one_numeric_value() -> None:
    assert not shape_problems("single", [("x", "Nullable(Float64)")], [(0.5,)])
    assert shape_problems("single", [("x", "String")], [("a",)])
    assert shape_problems("single", [("x", "UInt64"), ("y", "UInt64")], [(1, 2)])
    assert shape_problems("single", [("x", "UInt64")], [(1,), (2,)])


def test_time_series_needs_time_first_then_numbers() -> None:
    assert not shape_problems(
        "timeseries", [("time", "DateTime('Asia/Ho_Chi_Minh')"), ("n", "UInt64")], []
    )
    assert not shape_problems(
        "timeseries", [("time", "DateTime"), ("source", "String"), ("n", "UInt64")], []
    )
    assert shape_problems("timeseries", [("day", "Date"), ("n", "UInt64")], [])
    assert shape_problems("timeseries", [("time", "DateTime"), ("s", "String")], [])


def test_alert_query_needs_string_labels_and_one_value() -> None:
    assert not shape_problems("alert", [("agency_code", "String"), ("value", "Float64")], [])
    assert shape_problems("alert", [("agency_code", "String"), ("n", "Float64")], [])
    assert shape_problems("alert", [("day", "Date"), ("value", "Float64")], [])


def test_duplicate_columns_are_a_problem() -> None:
    assert shape_problems("table", [("a", "String"), ("a", "String")], [])


def test_inventory_covers_panels_variables_and_rules() -> None:
    kinds = {q.kind for q in all_queries()}
    assert kinds == {"single", "timeseries", "table", "variable", "alert"}
    origins = [q.origin for q in all_queries()]
    assert len(set(origins)) == len(origins), "two queries share an origin: ambiguous failures"

"""Rows of a backfill file, one per source record, in the form `Connector.handle` takes.

Lines of JSON are handed over as raw bytes, so a malformed line is dead-lettered exactly as
written; table rows (CSV, Excel) become dicts, with empty cells left out so that an empty
optional column reads as "absent", not as an empty string that fails validation.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".xlsx")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(
            f"{path.name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return {".ndjson": ".jsonl"}.get(suffix, suffix)


def iter_rows(path: Path) -> Iterator[bytes | dict[str, Any]]:
    kind = _kind(path)
    if kind == ".csv":
        yield from _csv_rows(path)
    elif kind == ".jsonl":
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield line.rstrip(b"\r\n")
    elif kind == ".json":
        yield from _json_rows(path)
    else:
        yield from _xlsx_rows(path)


def count_rows(path: Path) -> int | None:
    """How many rows `iter_rows` will yield, for a progress bar; None if unknown cheaply."""
    kind = _kind(path)
    if kind == ".jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if kind == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return max(0, sum(1 for _ in csv.reader(handle)) - 1)
    return None


def _csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {k: v for k, v in row.items() if k and v not in (None, "")}


def _json_rows(path: Path) -> Iterator[bytes | dict[str, Any]]:
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError:
        yield raw  # the whole file is one malformed record: dead-letter it as is
        return
    for item in data if isinstance(data, list) else [data]:
        yield item if isinstance(item, dict) else json.dumps(item).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _xlsx_rows(path: Path) -> Iterator[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else "" for h in header]
        for values in rows:
            if all(v is None for v in values):
                continue
            yield {
                name: _cell(value)
                for name, value in zip(names, values, strict=False)
                if name and value not in (None, "")
            }
    finally:
        workbook.close()

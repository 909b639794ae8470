"""Rows of a backfill file, one per source record, in the form `Connector.handle` takes.

Lines of JSON are handed over as raw bytes, so a malformed line is dead-lettered exactly as
written; table rows (CSV, Excel) become dicts, with empty cells left out so that an empty
optional column reads as "absent", not as an empty string that fails validation.

A row that cannot be a record whatever the connector (a spreadsheet formula in a cell, a
cell over `MAX_CELL_CHARS`) comes out as a `RowProblem`, to be dead-lettered with its
reason; a file that cannot be read at all (an empty or truncated workbook, text in another
encoding than the one asked for) raises `FileProblem`, one line naming the file, the line
and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".xlsx")
#: The longest cell taken (Excel itself stops at 32,767 characters).
MAX_CELL_CHARS = 131_072
#: Cells up to this size are read to be refused politely; a longer one ends its row early.
MAX_CELL_READ = 16 * 1024 * 1024
#: Cell text a spreadsheet would evaluate: never a code or a name.
FORMULA_PREFIX = "="


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message is one line for the operator."""


@dataclass(frozen=True)
class RowProblem:
    """A row refused by the reader itself; `original` is the row with long cells cut."""

    original: bytes
    reason: str


Row = bytes | dict[str, Any] | RowProblem


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(
            f"{path.name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return {".ndjson": ".jsonl"}.get(suffix, suffix)


def iter_rows(path: Path, *, encoding: str = "utf-8") -> Iterator[Row]:
    """Every row of `path`; `encoding` applies to CSV (UTF-8 with or without BOM by default)."""
    kind = _kind(path)
    if kind == ".csv":
        yield from _csv_rows(path, encoding)
    elif kind == ".jsonl":
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield line.rstrip(b"\r\n")
    elif kind == ".json":
        yield from _json_rows(path)
    else:
        yield from _xlsx_rows(path)


def count_rows(path: Path, *, encoding: str = "utf-8") -> int | None:
    """How many rows `iter_rows` will yield, for a progress bar; None if unknown cheaply."""
    kind = _kind(path)
    if kind == ".jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if kind == ".csv":
        with _open_text(path, encoding) as handle:
            return max(0, sum(1 for _ in _csv_reader(handle)) - 1)
    return None


def _codec(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise FileProblem(f"unknown encoding {encoding!r}") from None
    return "utf-8-sig" if name == "utf-8" else name


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text, after checking every line decodes (else a FileProblem naming it)."""
    codec = _codec(encoding)
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(codec)
            except UnicodeDecodeError:
                raise FileProblem(_encoding_hint(path, number, line, codec)) from None
    return path.open(encoding=codec, newline="")


def _encoding_hint(path: Path, number: int, line: bytes, codec: str) -> str:
    shown = "UTF-8" if codec == "utf-8-sig" else codec
    message = f"{path.name}: line {number} is not {shown} text"
    try:
        line.decode("cp1258")
    except UnicodeDecodeError:
        return message + "; pass its encoding with --encoding"
    return message + (
        "; it reads as Windows-1258 (cp1258), common for Vietnamese exports: "
        "import with --encoding cp1258, or save the file as UTF-8"
    )


def _csv_reader(handle: io.TextIOWrapper) -> Iterator[list[str]]:
    if csv.field_size_limit() < MAX_CELL_READ:
        csv.field_size_limit(MAX_CELL_READ)
    return csv.reader(handle)


def _csv_rows(path: Path, encoding: str) -> Iterator[dict[str, Any] | RowProblem]:
    normalize = _codec(encoding) != "utf-8-sig"  # cp1258 decodes to combining accents
    with _open_text(path, encoding) as handle:
        rows = _csv_reader(handle)
        header = next(rows, None)
        if header is None:
            return
        names = [_clean(name, normalize) for name in header]
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except csv.Error:
                yield RowProblem(b"{}", f"cell_too_large: a cell over {MAX_CELL_READ} bytes")
                continue
            cells = dict(zip(names, values, strict=False))
            yield _checked({k: _clean(v, normalize) for k, v in cells.items() if k and v})


def _clean(text: str, normalize: bool) -> str:
    return unicodedata.normalize("NFC", text) if normalize else text


def _checked(row: dict[str, Any]) -> dict[str, Any] | RowProblem:
    """The row, or a RowProblem when a cell is a formula or too long (named, not quoted)."""
    for name, value in row.items():
        if not isinstance(value, str):
            continue
        if len(value) > MAX_CELL_CHARS:
            reason = f"cell_too_large: {name} is over {MAX_CELL_CHARS} characters"
            return RowProblem(_cut(row), reason)
        if value.lstrip().startswith(FORMULA_PREFIX):
            return RowProblem(_cut(row), f"formula: {name} holds a spreadsheet formula")
    return row


def _cut(row: dict[str, Any]) -> bytes:
    kept = {
        k: f"<cut: {len(v)} characters>" if isinstance(v, str) and len(v) > MAX_CELL_CHARS else v
        for k, v in row.items()
    }
    return json.dumps(kept, ensure_ascii=False, default=str).encode("utf-8")


def _json_rows(path: Path) -> Iterator[bytes | dict[str, Any]]:
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
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


def _xlsx_rows(path: Path) -> Iterator[dict[str, Any] | RowProblem]:
    from openpyxl import load_workbook

    try:
        # Formulas as written, not their cached results: a formula cell is refused like in a
        # CSV (a result Excel cached may be stale, and files not saved by Excel have none).
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise FileProblem(
            f"{path.name}: not a readable .xlsx workbook (empty, truncated or another "
            f"format: {type(exc).__name__})"
        ) from None
    row_number = 0
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else "" for h in header]
        row_number = 1
        for values in rows:
            row_number += 1
            if all(v is None for v in values):
                continue
            yield _checked(
                {
                    name: _cell(value)
                    for name, value in zip(names, values, strict=False)
                    if name and value not in (None, "")
                }
            )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise FileProblem(
            f"{path.name}: the workbook is damaged after row {row_number} "
            f"({type(exc).__name__}); rows before it were imported"
        ) from None
    finally:
        workbook.close()

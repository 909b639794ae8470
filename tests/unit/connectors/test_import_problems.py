"""Backfill files that are broken or hostile (issue 8, item 4, the importer's part), no broker.

Reproductions: an empty or truncated .xlsx and a cell over 131,072 characters gave a raw
traceback; a cp1258 file was refused whole with no hint of the encoding or the row; formula
cells (`=HYPERLINK(...)`, `=1+1`) were stored verbatim as agency codes.
"""

from __future__ import annotations

import base64
import csv
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from cityops.contract import DeadLetter, DossierEvent
from cityops.settings import KafkaSettings, Settings
from connectors.adapters.file import FileProblem, import_file
from connectors.adapters.file.readers import MAX_CELL_CHARS
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.testing.fakes import FakeProducer


def dossier_connector(tmp_path: Path) -> DossierConnector:
    settings = Settings(kafka=KafkaSettings(namespace="imp"), state_dir=tmp_path / "state")
    return DossierConnector({"source": "egov-file"}, settings, producer=FakeProducer())


def rows(count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [sync_record(f"HS-{i}", 2, f"2025030308{i:02d}00", **overrides) for i in range(count)]


def write_csv(path: Path, records: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


#: The tone marks Windows-1258 keeps as separate combining characters.
CP1258_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tones combining."""
    out = b""
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(m for m in decomposed[1:] if m in CP1258_TONES)
        shape = "".join(m for m in decomposed[1:] if m not in CP1258_TONES)
        out += (unicodedata.normalize("NFC", decomposed[0] + shape) + tones).encode("cp1258")
    return out


def letters(connector: DossierConnector) -> list[DeadLetter]:
    producer: FakeProducer = connector.publisher._producer  # type: ignore[assignment]
    return [DeadLetter.model_validate_json(s.value) for s in producer.to("deadletter.v1")]


def events(connector: DossierConnector) -> list[DossierEvent]:
    producer: FakeProducer = connector.publisher._producer  # type: ignore[assignment]
    return [DossierEvent.model_validate_json(s.value) for s in producer.to("dossier.v1")]


def run(connector: DossierConnector, path: Path, **options: Any):
    return import_file(connector, path, resume=False, create_topics=False, **options)


def test_empty_xlsx_is_a_one_line_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    with pytest.raises(FileProblem, match=r"^empty.xlsx: not a readable .xlsx workbook") as info:
        run(dossier_connector(tmp_path), path)
    assert "\n" not in str(info.value)


def workbook_of(records: list[dict[str, Any]]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(records[0]))
    for record in records:
        sheet.append(list(record.values()))
    return workbook


def test_truncated_xlsx_is_a_one_line_file_problem(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    workbook_of(rows(50)).save(whole)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(FileProblem, match=r"^cut.xlsx: ") as info:
        run(dossier_connector(tmp_path), cut)
    assert "\n" not in str(info.value)


def test_cell_over_131072_characters_is_dead_lettered_with_its_reason(tmp_path: Path) -> None:
    records = rows(3)
    records[1]["TenCoQuan"] = "S" * (MAX_CELL_CHARS + 1)
    connector = dossier_connector(tmp_path)
    summary = run(connector, write_csv(tmp_path / "long.csv", records))
    assert summary.published == 2 and summary.rejected == {"cell_too_large": 1}
    (letter,) = letters(connector)
    assert letter.reason == f"cell_too_large: TenCoQuan is over {MAX_CELL_CHARS} characters (row 2)"
    assert len(letter.original_b64) < 4096, "the long cell is not kept"


def test_cp1258_file_names_the_encoding_and_line_and_imports_with_it(tmp_path: Path) -> None:
    records = rows(3)
    path = tmp_path / "hoso.csv"
    with path.open("wb") as handle:
        handle.write(write_csv(tmp_path / "utf8.csv", records).read_bytes().split(b"\n")[0] + b"\n")
        lines = (tmp_path / "utf8.csv").read_text("utf-8").split("\n")[1:]
        handle.write(to_cp1258("\n".join(lines)))
    with pytest.raises(FileProblem, match=r"^hoso.csv: line 2 is not UTF-8 text.*cp1258"):
        run(dossier_connector(tmp_path), path)
    connector = dossier_connector(tmp_path)
    summary = run(connector, path, encoding="cp1258")
    assert summary.published == 3
    expected = unicodedata.normalize("NFC", records[0]["TenCoQuan"])
    assert {e.agency_name for e in events(connector)} == {expected}


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x.example","SKHDT")', "=1+1"])
def test_formula_cells_are_dead_lettered_not_stored_as_codes_csv(
    tmp_path: Path, formula: str
) -> None:
    records = rows(2)
    records[0]["MaCoQuan"] = formula
    connector = dossier_connector(tmp_path)
    summary = run(connector, write_csv(tmp_path / "f.csv", records))
    assert summary.published == 1
    (letter,) = letters(connector)
    assert letter.reason == "formula: MaCoQuan holds a spreadsheet formula (row 1)"
    assert {e.agency_code for e in events(connector)} == {"SKHDT"}


def test_formula_text_cells_in_a_workbook_are_dead_lettered(tmp_path: Path) -> None:
    records = rows(2)
    workbook = workbook_of(records)
    code = workbook.active.cell(row=2, column=list(records[0]).index("MaCoQuan") + 1)
    code.value, code.data_type = "=1+1", "s"  # text that a spreadsheet shows as a formula
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    connector = dossier_connector(tmp_path)
    summary = run(connector, path)
    assert summary.published == 1 and summary.rejected == {"formula": 1}
    assert json.loads(base64.b64decode(letters(connector)[0].original_b64))["MaHoSo"] == "HS-0"

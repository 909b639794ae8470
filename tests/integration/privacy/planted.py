"""Records of every source format with personal values planted in every field."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.dossier.samples import sync_record
from connectors.testing.samples import contract_event

CCCD = "001089012345"
PHONE = "0912345678"
EMAIL = "tran.bich.ngoc@example.vn"
NAME = "Trần Thị Bích Ngọc"
PLANTED = (CCCD, PHONE, EMAIL, NAME)
#: A field no contract or source knows, where a source might put anything.
EXTRA_FIELD = "GhiChu"


def _variants(good: dict[str, Any], unique: str) -> Iterator[dict[str, Any]]:
    """The good record with each planted value alone in each field, and inside its text;
    `unique` (a field) gets a distinct value per variant so none collapses into another."""
    n = 0
    for name in [*good, EXTRA_FIELD]:
        for value in PLANTED:
            for planted in (value, f"{good.get(name, '')} {value} liên hệ".strip()):
                n += 1
                record = {**good, name: planted}
                if name != unique:
                    record[unique] = f"{good[unique]}-{n:04d}"
                yield record
    yield {**good, unique: f"{good[unique]}-nested", EXTRA_FIELD: {"chu_ho_so": list(PLANTED)}}


def dossier_records() -> list[dict[str, Any]]:
    good = sync_record("000.00.36.H42-250303-0001", 2, "20250303080000")
    good["SoGiayToChuHoSo"], good["ChuHoSo"] = "036089000001", "Nguyễn Văn Bình"
    good["SoDienThoaiChuHoSo"], good["EmailChuHoSo"] = "0987654321", "binh@example.vn"
    return list(_variants(good, "MaHoSo"))


def contract_records(family: str) -> list[dict[str, Any]]:
    good = json.loads(contract_event(family, f"sweep-{family}", 7).to_json_bytes())
    return list(_variants(good, "event_id"))


def webhook_bodies(family: str) -> list[bytes]:
    """One record per request, a batch as an array, and bodies that are not JSON at all."""
    records = contract_records(family)
    bodies = [json.dumps(r, ensure_ascii=False).encode() for r in records[:-8]]
    bodies.append(json.dumps(records[-8:], ensure_ascii=False).encode())
    bodies.append(f'{{"event_id": "{CCCD}", "x": "{NAME}", "y": {PHONE}, '.encode())
    bodies.append(f"{EMAIL};{CCCD};{NAME};{PHONE}".encode())
    return bodies


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    names = sorted({name for record in records for name in record})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, names)
        writer.writeheader()
        writer.writerows(
            {k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in records
        )
    return path


def write_xlsx(path: Path, records: list[dict[str, Any]]) -> Path:
    """As a clerk's spreadsheet: the applicant's id typed as a number (leading zeros lost)."""
    from openpyxl import Workbook

    names = sorted({name for record in records for name in record})
    book = Workbook()
    sheet = book.active
    sheet.append(names)
    for record in records:
        row = []
        for name in names:
            value = record.get(name)
            if isinstance(value, str) and value == CCCD:
                value = int(value)
            row.append(json.dumps(value) if isinstance(value, dict) else value)
        sheet.append(row)
    book.save(path)
    return path

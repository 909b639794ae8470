"""Webhook signatures and backfill readers, without servers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from connectors.adapters.file import count_rows, iter_rows
from connectors.adapters.push.signing import sign, verify

BODY = b'{"event_id": "x"}'


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, BODY) == f"sha256={expected}"


def test_verify_accepts_a_fresh_authentic_request() -> None:
    assert verify("k", "1700000000", sign("k", 1700000000, BODY), BODY, now=1700000100) is None


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "now", "kind"),
    [
        (None, "sha256=00", BODY, 1700000000, "missing_signature"),
        ("1700000000", None, BODY, 1700000000, "missing_signature"),
        ("soon", "sha256=00", BODY, 1700000000, "bad_timestamp"),
        ("1700000000", sign("other", 1700000000, BODY), BODY, 1700000000, "bad_signature"),
        ("1700000000", sign("k", 1700000000, BODY), BODY + b" ", 1700000000, "bad_signature"),
        ("1700000000", sign("k", 1700000000, BODY), BODY, 1700000301, "replay"),
        ("1700000400", sign("k", 1700000400, BODY), BODY, 1700000000, "replay"),
    ],
)
def test_verify_refuses(timestamp, signature, body, now, kind) -> None:
    assert verify("k", timestamp, signature, body, now=now).startswith(kind)


def test_csv_rows_drop_empty_cells_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("\ufeffpayment_id,dossier_id,amount_vnd\np1,,5000\np2,HS-1,7000\n", "utf-8")
    rows = list(iter_rows(path))
    assert rows == [
        {"payment_id": "p1", "amount_vnd": "5000"},
        {"payment_id": "p2", "dossier_id": "HS-1", "amount_vnd": "7000"},
    ]
    assert count_rows(path) == 2


def test_jsonl_lines_stay_raw_so_bad_lines_are_kept_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{not json\n')
    assert list(iter_rows(path)) == [b'{"a": 1}', b"{not json"]
    assert count_rows(path) == 2


def test_json_array_and_broken_json_file(tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text(json.dumps([{"a": 1}, 5]))
    assert list(iter_rows(good)) == [{"a": 1}, b"5"]
    broken = tmp_path / "b.json"
    broken.write_bytes(b"[{")
    assert list(iter_rows(broken)) == [b"[{"]


def test_xlsx_rows_with_typed_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["MaHoSo", "TrangThaiHoSo", "NgayCapNhat", "Ghi chu"])
    sheet.append(["HS-1", 2.0, datetime(2025, 3, 3, 8, 0), None])
    sheet.append([None, None, None, None])
    path = tmp_path / "d.xlsx"
    workbook.save(path)
    assert list(iter_rows(path)) == [
        {"MaHoSo": "HS-1", "TrangThaiHoSo": 2, "NgayCapNhat": "2025-03-03T08:00:00"}
    ]


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="unsupported"):
        list(iter_rows(path))

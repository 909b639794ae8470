"""Sample sync records: the contract suite's input, the docs' example, and test fixtures."""

from __future__ import annotations

import json
import zlib
from typing import Any

from connectors.sdk.connector import Samples


def sync_record(dossier_id: str, status: int, changed: str, **overrides: Any) -> dict[str, Any]:
    """A well-formed national-portal record; `changed` is NgayCapNhat (yyyyMMddHHmmss)."""
    record: dict[str, Any] = {
        "MaHoSo": dossier_id,
        "MaTTHC": "1.001612",
        "TenTTHC": "Đăng ký thành lập doanh nghiệp tư nhân",
        "MaLinhVuc": "DKDN",
        "KenhThucHien": 2,
        "TrangThaiHoSo": status,
        "NgayTiepNhan": "20250303080000",
        "NgayHenTra": "20250305170000",
        "NgayKetThucXuLy": "20250304100000" if status in (9, 10) else "",
        "LoaiDoiTuong": 2,
        "SoGiayToChuHoSo": f"0{zlib.crc32(dossier_id.encode()) % 10**11:011d}",
        "ChuHoSo": "Nguyễn Văn A",
        "MucDo": 4,
        "MaCoQuan": "SKHDT",
        "TenCoQuan": "Sở Kế hoạch và Đầu tư",
        "MaDiaBan": "356",
        "TenDiaBan": "Thành phố Nam Định",
        "NgayCapNhat": changed,
    }
    record.update(overrides)
    return record


def _raw(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def dossier_samples(source: str) -> Samples:
    good = [
        sync_record(
            "000.00.36.H42-250303-0001", 2, "20250303080000", SoGiayToChuHoSo="001085012345"
        ),
        sync_record(
            "000.00.36.H42-250303-0001", 4, "20250303090000", SoGiayToChuHoSo="001085012345"
        ),
        sync_record("000.00.36.H42-250303-0002", 2, "20250303090000", KenhThucHien=1, MucDo=2),
        sync_record(
            "000.00.36.H42-250303-0001", 9, "20250304100000", SoGiayToChuHoSo="001085012345"
        ),
        sync_record(
            "000.00.36.H42-250303-0003", 1, "2025-03-04T11:00:00", ToanTrinh=True, MucDo=None
        ),
        sync_record("000.00.36.H42-250303-0002", 10, "20250305160000", LoaiDoiTuong=1),
    ]
    bad = [
        sync_record("000.00.36.H42-250303-0004", 11, "20250305170000"),  # unknown status
        sync_record("000.00.36.H42-250303-0005", 2, "20250305170500", NgayHenTra="31/12/2025"),
        sync_record("000.00.36.H42-250303-0006", 2, "20250305171000", KenhThucHien=9),
        sync_record("000.00.36.H42-250303-0007", 2, "20250305171500", SoGiayToChuHoSo=""),
    ]
    pii = sorted(
        {str(r["SoGiayToChuHoSo"]) for r in good + bad if r["SoGiayToChuHoSo"]} | {"Nguyễn Văn A"}
    )
    return Samples(good=[_raw(r) for r in good], bad=[_raw(r) for r in bad], pii=pii)

"""National-portal sync record (Vietnamese PascalCase) -> contract `DossierEvent`.

Pure functions, so every code path is unit-tested without Kafka. Anything this module cannot
map with certainty (an unknown status code, a date that does not parse) raises `Rejected`:
the record is dead-lettered, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from cityops.contract import ApplicantType, Channel, DossierEvent, DossierStatus, OnlineLevel
from cityops.contract.bounds import OutOfBounds, active_window, numeric_code
from cityops.timeutil import TZ, parse_local
from connectors.sdk.connector import Rejected

#: TrangThaiHoSo (domain.md, "Dossier lifecycle").
STATUS_CODES: dict[int, DossierStatus] = {
    1: DossierStatus.SUBMITTED,
    2: DossierStatus.RECEIVED,
    3: DossierStatus.REJECTED,
    4: DossierStatus.IN_PROGRESS,
    5: DossierStatus.SUPPLEMENT_REQUESTED,
    6: DossierStatus.FEE_REQUESTED,
    7: DossierStatus.WITHDRAWN,
    8: DossierStatus.STOPPED,
    9: DossierStatus.RESOLVED,
    10: DossierStatus.RETURNED,
}
#: KenhThucHien.
CHANNEL_CODES: dict[int, Channel] = {1: Channel.DIRECT, 2: Channel.ONLINE, 3: Channel.POSTAL}
#: MucDo: levels 2-3 of Decree 43/2011 are partial online, 4 is full (toàn trình).
LEVEL_CODES: dict[int, OnlineLevel] = {
    1: OnlineLevel.NONE,
    2: OnlineLevel.PARTIAL,
    3: OnlineLevel.PARTIAL,
    4: OnlineLevel.FULL,
}
APPLICANT_CODES: dict[int, ApplicantType] = {1: ApplicantType.CITIZEN, 2: ApplicantType.BUSINESS}
#: The record fields this mapping reads that never hold personal data: what a dead letter
#: keeps of a rejected record besides the agency and area fields (named in the config).
#: `SoGiayToChuHoSo` (hashed into `applicant_ref`) and `ChuHoSo` (dropped) are not here.
PUBLIC_SOURCE_FIELDS = frozenset(
    {
        "MaHoSo",
        "MaTTHC",
        "TenTTHC",
        "MaLinhVuc",
        "KenhThucHien",
        "TrangThaiHoSo",
        "NgayTiepNhan",
        "NgayHenTra",
        "NgayKetThucXuLy",
        "LoaiDoiTuong",
        "MucDo",
        "ToanTrinh",
        "NgayCapNhat",
    }
)
#: Statuses that mean the dossier has a result, so `resolved_at` must be known.
RESOLVED_OR_LATER = frozenset({DossierStatus.RESOLVED, DossierStatus.RETURNED})


class FieldNames(BaseModel):
    """Where a source keeps agency and area: names differ between source systems."""

    model_config = ConfigDict(extra="forbid")

    agency_code: str = "MaCoQuan"
    agency_name: str = "TenCoQuan"
    area_code: str = "MaDiaBan"
    area_name: str = "TenDiaBan"


def _text(record: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Rejected("missing_field", f"{name} is missing")
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Rejected("wrong_type", f"{name} must be text, got {type(value).__name__}")
    return str(value).strip()


def _code(
    record: dict[str, Any], name: str, table: dict[int, Any], *, required: bool = True
) -> Any:
    raw = record.get(name)
    if raw is None or raw == "":
        if required:
            raise Rejected("missing_field", f"{name} is missing")
        return None
    try:
        number = numeric_code(raw)
    except OutOfBounds:
        raise Rejected(f"unknown_{name}", f"{name} is not a code of 1-3 ASCII digits") from None
    if number not in table:
        raise Rejected(f"unknown_{name}", f"{name} is not a known code ({_codes(table)})")
    return table[number]


def _codes(table: dict[int, Any]) -> str:
    return f"{min(table)}-{max(table)}"


def _date(record: dict[str, Any], name: str) -> datetime | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Rejected("bad_date", f"{name} must be a date string")
    try:
        return parse_local(str(value))
    except OutOfBounds:
        window = active_window().describe()
        raise Rejected("date_out_of_range", f"{name} is outside {window}") from None
    except ValueError:
        raise Rejected("bad_date", f"{name} is not yyyyMMddHHmmss or ISO 8601") from None


def _online_level(record: dict[str, Any]) -> OnlineLevel:
    if record.get("MucDo") not in (None, ""):
        return _code(record, "MucDo", LEVEL_CODES)
    full = record.get("ToanTrinh")
    if full is None or full == "":
        return OnlineLevel.NONE
    if isinstance(full, bool):
        return OnlineLevel.FULL if full else OnlineLevel.PARTIAL
    text = str(full).strip().lower()
    if text in {"1", "true"}:
        return OnlineLevel.FULL
    if text in {"0", "false"}:
        return OnlineLevel.PARTIAL
    raise Rejected("unknown_ToanTrinh", "ToanTrinh is not a boolean (1/0, true/false)")


def event_id(source: str, dossier_id: str, status: DossierStatus, changed_at: datetime) -> str:
    """Stable per (dossier, status, change time): polling the record twice is one event."""
    return f"{source}:{dossier_id}:{status.value}:{changed_at.astimezone(TZ):%Y%m%d%H%M%S}"


def map_record(
    record: dict[str, Any],
    *,
    source: str,
    fields: FieldNames,
    hash_id: Callable[[str, ApplicantType], str],
) -> DossierEvent:
    status = _code(record, "TrangThaiHoSo", STATUS_CODES)
    dossier_id = _text(record, "MaHoSo")
    changed_at = _date(record, "NgayCapNhat")
    if changed_at is None:
        raise Rejected("missing_field", "NgayCapNhat is missing")
    received_at = _date(record, "NgayTiepNhan")
    due_at = _date(record, "NgayHenTra")
    resolved_at = _date(record, "NgayKetThucXuLy")
    if status == DossierStatus.RECEIVED and received_at is None:
        raise Rejected("missing_field", "NgayTiepNhan is required on a received dossier")
    if status in RESOLVED_OR_LATER and resolved_at is None:
        # The status change itself is the moment the result was recorded.
        resolved_at = changed_at if status == DossierStatus.RESOLVED else None
    raw_applicant = _text(record, "SoGiayToChuHoSo")
    applicant_type = _code(record, "LoaiDoiTuong", APPLICANT_CODES)
    return DossierEvent.build(
        event_id=event_id(source, dossier_id, status, changed_at),
        occurred_at=changed_at,
        source=source,
        dossier_id=dossier_id,
        status=status,
        procedure_code=_text(record, "MaTTHC"),
        procedure_name=_text(record, "TenTTHC", required=False),
        field_code=_text(record, "MaLinhVuc"),
        agency_code=_text(record, fields.agency_code),
        agency_name=_text(record, fields.agency_name, required=False),
        area_code=_text(record, fields.area_code),
        area_name=_text(record, fields.area_name, required=False),
        channel=_code(record, "KenhThucHien", CHANNEL_CODES),
        online_level=_online_level(record),
        applicant_type=applicant_type,
        applicant_ref=hash_id(raw_applicant, applicant_type),
        received_at=received_at,
        due_at=due_at,
        resolved_at=resolved_at,
    )

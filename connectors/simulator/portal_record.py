"""Contract dossier event -> national-portal sync record: the dossier adapter's mapping, reversed.

The adapters mode serves these records from the fake e-dossier API, so the real pull adapter
maps them back; what reaches Kafka then equals what the kafka mode publishes, except that a
`supplement_received` change becomes `in_progress` (code 4): the portal has no code for it,
a dossier whose supplement arrived is simply "in process" again, with its new due date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cityops.contract import DossierEvent
from cityops.contract.enums import ApplicantType, Channel, DossierStatus, OnlineLevel
from connectors.simulator.identities import applicant_name, source_stamp

S = DossierStatus

#: TrangThaiHoSo (domain.md, "Dossier lifecycle").
STATUS_CODE: dict[DossierStatus, int] = {
    S.SUBMITTED: 1,
    S.RECEIVED: 2,
    S.REJECTED: 3,
    S.IN_PROGRESS: 4,
    S.SUPPLEMENT_REQUESTED: 5,
    S.SUPPLEMENT_RECEIVED: 4,
    S.FEE_REQUESTED: 6,
    S.WITHDRAWN: 7,
    S.STOPPED: 8,
    S.RESOLVED: 9,
    S.RETURNED: 10,
}
CHANNEL_CODE = {Channel.DIRECT: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}
#: MucDo: level 3 of Decree 43/2011 is partial online, 4 full; offline procedures have none.
LEVEL_CODE = {OnlineLevel.PARTIAL: 3, OnlineLevel.FULL: 4}
APPLICANT_CODE = {ApplicantType.CITIZEN: 1, ApplicantType.BUSINESS: 2}

#: Where a source keeps agency and area (the dossier connector's defaults).
DEFAULT_FIELDS = {
    "agency_code": "MaCoQuan",
    "agency_name": "TenCoQuan",
    "area_code": "MaDiaBan",
    "area_name": "TenDiaBan",
}


def _date(value: datetime | None) -> str:
    return source_stamp(value) if value is not None else ""


def to_portal_record(
    event: DossierEvent,
    raw_id: str,
    *,
    fields: dict[str, str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The sync record a source system would expose for this status change.

    `raw_id` is the applicant's real id (the adapter must hash it); `fields` renames the
    agency/area fields as a source's connector config would.
    """
    names = {**DEFAULT_FIELDS, **(fields or {})}
    record: dict[str, Any] = {
        "MaHoSo": event.dossier_id,
        "MaTTHC": event.procedure_code,
        "TenTTHC": event.procedure_name,
        "MaLinhVuc": event.field_code,
        "KenhThucHien": CHANNEL_CODE[event.channel],
        "TrangThaiHoSo": STATUS_CODE[event.status],
        "NgayTiepNhan": _date(event.received_at),
        "NgayHenTra": _date(event.due_at),
        "NgayKetThucXuLy": _date(event.resolved_at),
        "LoaiDoiTuong": APPLICANT_CODE[event.applicant_type],
        "SoGiayToChuHoSo": raw_id,
        "ChuHoSo": applicant_name(seed, event.dossier_id),
        names["agency_code"]: event.agency_code,
        names["agency_name"]: event.agency_name,
        names["area_code"]: event.area_code,
        names["area_name"]: event.area_name,
        "NgayCapNhat": source_stamp(event.occurred_at),
    }
    level = LEVEL_CODE.get(event.online_level)
    if level is not None:
        record["MucDo"] = level
    return record

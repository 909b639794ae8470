"""National-portal record -> DossierEvent: every code, every date rule, nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityops.contract import ApplicantType, Channel, DossierStatus, OnlineLevel
from connectors.dossier.mapping import FieldNames, map_record
from connectors.dossier.samples import sync_record
from connectors.sdk.connector import Rejected


def hash_id(raw: str, _applicant_type: object = None) -> str:
    return f"hashed-{raw}".ljust(16, "0")


def mapped(record: dict, fields: FieldNames | None = None):
    return map_record(record, source="egov-test", fields=fields or FieldNames(), hash_id=hash_id)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, DossierStatus.SUBMITTED),
        (2, DossierStatus.RECEIVED),
        (3, DossierStatus.REJECTED),
        (4, DossierStatus.IN_PROGRESS),
        (5, DossierStatus.SUPPLEMENT_REQUESTED),
        (6, DossierStatus.FEE_REQUESTED),
        (7, DossierStatus.WITHDRAWN),
        (8, DossierStatus.STOPPED),
        (9, DossierStatus.RESOLVED),
        (10, DossierStatus.RETURNED),
    ],
)
def test_status_codes_map_to_contract_statuses(code: int, status: DossierStatus) -> None:
    event = mapped(sync_record("HS-1", code, "20250303080000"))
    assert event.status == status
    assert event.event_type == f"dossier.{status.value}"


@pytest.mark.parametrize(
    ("code", "channel"), [(1, Channel.DIRECT), ("2", Channel.ONLINE), (3, Channel.POSTAL)]
)
def test_channel_codes(code: object, channel: Channel) -> None:
    assert mapped(sync_record("HS-1", 2, "20250303080000", KenhThucHien=code)).channel == channel


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({"MucDo": 2}, OnlineLevel.PARTIAL),
        ({"MucDo": 3}, OnlineLevel.PARTIAL),
        ({"MucDo": 4}, OnlineLevel.FULL),
        ({"MucDo": None, "ToanTrinh": True}, OnlineLevel.FULL),
        ({"MucDo": None, "ToanTrinh": False}, OnlineLevel.PARTIAL),
        ({"MucDo": None}, OnlineLevel.NONE),
    ],
)
def test_online_level_from_level_or_flag(fields: dict, level: OnlineLevel) -> None:
    assert mapped(sync_record("HS-1", 2, "20250303080000", **fields)).online_level == level


def test_local_dates_become_utc_in_both_formats() -> None:
    event = mapped(
        sync_record("HS-1", 2, "2025-03-03T08:00:00", NgayTiepNhan="20250303080000", NgayHenTra="")
    )
    assert event.occurred_at == datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    assert event.received_at == datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    assert event.due_at is None  # empty means null, not "now"


def test_event_id_is_stable_across_date_formats_and_polls() -> None:
    first = mapped(sync_record("HS-1", 4, "20250303090000"))
    again = mapped(sync_record("HS-1", 4, "2025-03-03T09:00:00"))
    assert first.event_id == again.event_id == "egov-test:HS-1:in_progress:20250303090000"


def test_raw_applicant_id_and_name_are_not_in_the_event() -> None:
    record = sync_record("HS-1", 2, "20250303080000", SoGiayToChuHoSo="001085012345")
    event = mapped(record)
    payload = event.to_json_bytes()
    assert b"001085012345" not in payload.replace(b"hashed-001085012345", b"")
    assert b"Nguy" not in payload
    assert event.applicant_ref == hash_id("001085012345")
    assert event.applicant_type == ApplicantType.BUSINESS


def test_resolved_takes_end_date_or_the_change_time() -> None:
    with_end = mapped(sync_record("HS-1", 9, "20250304120000", NgayKetThucXuLy="20250304100000"))
    assert with_end.resolved_at == datetime(2025, 3, 4, 3, 0, tzinfo=UTC)
    without = mapped(sync_record("HS-1", 9, "20250304120000", NgayKetThucXuLy=""))
    assert without.resolved_at == without.occurred_at


def test_agency_and_area_field_names_are_configurable() -> None:
    fields = FieldNames(agency_code="DonViXuLy", area_code="MaXa")
    record = sync_record("HS-1", 2, "20250303080000", DonViXuLy="UBND-358", MaXa="13669")
    event = mapped(record, fields)
    assert (event.agency_code, event.area_code) == ("UBND-358", "13669")


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"TrangThaiHoSo": 11}, "unknown_TrangThaiHoSo"),
        ({"TrangThaiHoSo": "đang xử lý"}, "unknown_TrangThaiHoSo"),
        ({"KenhThucHien": 4}, "unknown_KenhThucHien"),
        ({"MucDo": 7}, "unknown_MucDo"),
        ({"LoaiDoiTuong": 3}, "unknown_LoaiDoiTuong"),
        ({"NgayHenTra": "31/12/2025"}, "bad_date"),
        ({"NgayCapNhat": "20251399000000"}, "bad_date"),
        ({"NgayCapNhat": ""}, "missing_field"),
        ({"NgayTiepNhan": ""}, "missing_field"),  # a received dossier needs its receipt date
        ({"MaHoSo": None}, "missing_field"),
        ({"SoGiayToChuHoSo": ""}, "missing_field"),
        ({"MaTTHC": {"nested": 1}}, "wrong_type"),
    ],
)
def test_what_cannot_be_mapped_is_rejected_not_guessed(overrides: dict, kind: str) -> None:
    with pytest.raises(Rejected) as info:
        mapped(sync_record("HS-1", 2, "20250303080000", **overrides))
    assert info.value.kind == kind

"""The reverse mapping and the fake feed: the real dossier mapping gets the events back."""

from __future__ import annotations

from datetime import date

import pytest

from cityops.contract import DossierEvent
from cityops.contract.enums import ApplicantType, DossierStatus
from cityops.privacy import applicant_ref
from cityops.settings import Settings
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.dossier.mapping import FieldNames, map_record
from connectors.simulator import generate, raw_applicant_id
from connectors.simulator.identities import dossier_event_id
from connectors.simulator.portal_record import to_portal_record

SEED = 4
KEY = Settings.model_fields["hash_key"].default


@pytest.fixture(scope="module")
def dossier_events() -> list[DossierEvent]:
    events = generate(day=date(2025, 3, 12), hours=24 * 6, seed=SEED, scale=0.1)
    return [e for e in events if isinstance(e, DossierEvent)]


def as_portal_sees_it(event: DossierEvent) -> DossierEvent:
    """The portal has no code for "supplement received": the dossier is in process again."""
    if event.status != DossierStatus.SUPPLEMENT_RECEIVED:
        return event
    status = DossierStatus.IN_PROGRESS
    return event.model_copy(
        update={
            "status": status,
            "event_type": f"dossier.{status}",
            "event_id": dossier_event_id(event.source, event.dossier_id, status, event.occurred_at),
        }
    )


def test_the_dossier_connector_maps_every_record_back_to_its_event(
    dossier_events: list[DossierEvent],
) -> None:

    def hash_id(raw: str, applicant_type: ApplicantType) -> str:
        return applicant_ref(raw, KEY, applicant_type)

    statuses = set()
    for event in dossier_events:
        raw = raw_applicant_id(SEED, event.dossier_id, event.applicant_type)
        record = to_portal_record(event, raw, seed=SEED)
        back = map_record(record, source=event.source, fields=FieldNames(), hash_id=hash_id)
        assert back == as_portal_sees_it(event)
        statuses.add(event.status)
    assert DossierStatus.SUPPLEMENT_RECEIVED in statuses and DossierStatus.RETURNED in statuses


def test_records_carry_the_raw_id_and_a_name_and_honour_renamed_fields(
    dossier_events: list[DossierEvent],
) -> None:
    event = dossier_events[0]
    record = to_portal_record(event, "036123456789", fields={"agency_code": "MaDonVi"})
    assert record["SoGiayToChuHoSo"] == "036123456789" and record["ChuHoSo"]
    assert record["MaDonVi"] == event.agency_code and "MaCoQuan" not in record


def _record(stamp: str, dossier: str) -> dict[str, str]:
    return {"NgayCapNhat": stamp, "MaHoSo": dossier}


def test_fake_feed_pages_by_change_time_then_id() -> None:
    feed = FakeFeed(
        records=[
            _record("20250312090000", "B"),
            _record("20250312080000", "Z"),
            _record("20250312090000", "A"),
            _record("20250312100000", "A"),
        ]
    )
    first = feed.page("20250312090000", "", 2)
    assert [r["MaHoSo"] for r in first["items"]] == ["A", "B"] and first["has_more"]
    rest = feed.page("20250312090000", "B", 10)
    assert rest["items"] == [_record("20250312100000", "A")] and not rest["has_more"]
    assert feed.page("20250312100000", "A", 10) == {"items": [], "has_more": False}
    feed.close()

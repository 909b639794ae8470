"""Contract v1 models: what they accept, what they refuse, and the generated JSON Schemas."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from cityops.contract import BY_FAMILY, DOSSIER, DossierEvent, PortalEvent
from cityops.contract.jsonschema import MODELS, SCHEMA_DIR, render, schema_for

BASE = {
    "event_id": "e-1",
    "occurred_at": "2026-03-02T08:00:00+07:00",
    "source": "test",
    "dossier_id": "HS-1",
    "status": "received",
    "procedure_code": "1.001193",
    "field_code": "HT",
    "agency_code": "UBND-356",
    "area_code": "356",
    "channel": "online",
    "online_level": "full",
    "applicant_type": "citizen",
    "applicant_ref": "a" * 40,
}


def test_timestamps_are_normalised_to_utc() -> None:
    event = DossierEvent.build(**BASE)
    assert event.occurred_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert json.loads(event.to_json_bytes())["occurred_at"] == "2026-03-02T01:00:00.000Z"


def test_a_timestamp_without_offset_is_refused() -> None:
    with pytest.raises(ValidationError):
        DossierEvent.build(**{**BASE, "occurred_at": "2026-03-02T08:00:00"})


@pytest.mark.parametrize(
    "change",
    [
        {"status": "teleported"},
        {"channel": "fax"},
        {"surprise": 1},
        {"event_type": "dossier.resolved"},
        {"dossier_id": ""},
        {"schema_version": 2},
    ],
)
def test_invalid_events_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DossierEvent.model_validate({**BASE, "event_type": "dossier.received", **change})


def test_key_is_the_entity_id_and_topic_comes_from_the_family() -> None:
    event = DossierEvent.build(**BASE)
    assert event.key() == "HS-1"
    assert BY_FAMILY[event.family] is DOSSIER
    assert DOSSIER.name("ns") == "ns.cityops.dossier.v1"


def test_rating_only_on_rating_events() -> None:
    portal = {
        "event_id": "p",
        "occurred_at": "2026-03-02T01:00:00Z",
        "source": "s",
        "device": "mobile",
    }
    PortalEvent.build(**portal, kind="rating_submitted", rating=5)
    with pytest.raises(ValidationError):
        PortalEvent.build(**portal, kind="rating_submitted")
    with pytest.raises(ValidationError):
        PortalEvent.build(**portal, kind="session_started", rating=4)


def test_checked_in_schemas_match_the_models() -> None:
    for family in MODELS:
        path = SCHEMA_DIR / f"{family}.schema.json"
        assert path.read_text(encoding="utf-8") == render(family), (
            f"{path} is stale: run `cityops contract schemas`"
        )


def test_a_serialised_event_validates_against_its_json_schema() -> None:
    event = json.loads(DossierEvent.build(**BASE).to_json_bytes())
    jsonschema.validate(event, schema_for("dossier"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**event, "channel": "fax"}, schema_for("dossier"))


def test_local_day_boundary() -> None:
    from cityops.timeutil import local_day

    assert local_day(datetime(2026, 3, 2, 16, 59, 59, tzinfo=UTC)) == date(2026, 3, 2)
    assert local_day(datetime(2026, 3, 2, 17, 0, 0, tzinfo=UTC)) == date(2026, 3, 3)

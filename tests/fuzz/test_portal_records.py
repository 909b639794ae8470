"""Fuzz: national-portal records through the dossier connector's own `handle` (no broker).

Invariants per record: `handle` never raises; a good record is published exactly once, a bad
one dead-lettered exactly once with a reason, whatever the record holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityops.contract import DeadLetter, DossierEvent
from cityops.settings import KafkaSettings, Settings
from connectors.dossier.connector import DossierConnector
from connectors.testing.fakes import FakeProducer
from tests.fuzz.cases import budget, count
from tests.fuzz.inputs import JSON_VALUES, Fated, fated_portal_record, garbage_object

FAMILY = "national-portal records"
RECORDS = st.lists(
    st.one_of(
        fated_portal_record(),
        fated_portal_record(),
        garbage_object(),
        JSON_VALUES.filter(lambda v: not isinstance(v, dict)).map(lambda v: Fated(v, False)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture(scope="module")
def connector(tmp_path_factory: pytest.TempPathFactory) -> DossierConnector:
    state = Path(tmp_path_factory.mktemp("fuzz-portal"))
    settings = Settings(kafka=KafkaSettings(namespace="fuzz"), state_dir=state)
    return DossierConnector({"source": "egov"}, settings, producer=FakeProducer())


@budget(FAMILY)
@given(records=RECORDS, as_bytes=st.booleans())
def test_every_record_is_published_or_dead_lettered_once(
    connector: DossierConnector, records: list[Fated], as_bytes: bool
) -> None:
    producer: FakeProducer = connector.publisher._producer  # type: ignore[assignment]
    count(FAMILY, len(records))
    for item in records:
        before = len(producer.sent)
        raw = item.record
        if as_bytes or not isinstance(raw, dict):
            raw = json.dumps(item.record, ensure_ascii=False).encode("utf-8")
        outcome = connector.handle(raw)
        (sent,) = producer.sent[before:]
        if item.good:
            assert outcome.event is not None, outcome.reason
            DossierEvent.model_validate_json(sent.value)
        else:
            assert outcome.event is None, "a bad record was published"
            assert DeadLetter.model_validate_json(sent.value).reason.strip()

"""The adapters mode against the real broker: events arrive through the pull and push adapters."""

from __future__ import annotations

from collections import Counter
from datetime import date

from cityops.contract import SOURCE_TOPICS, DossierEvent, Envelope
from cityops.contract.enums import DossierStatus
from cityops.kafka import read_all
from cityops.settings import Settings
from connectors.simulator import generate
from connectors.simulator.adapters_mode import AdaptersSink
from connectors.simulator.identities import dossier_event_id
from connectors.simulator.pacing import Pacer
from connectors.simulator.runner import run

SEED = 8


def expected_from_adapters(event: Envelope) -> Envelope:
    """The portal has no "supplement received" code: the pull adapter sees in_progress."""
    if not isinstance(event, DossierEvent) or event.status != DossierStatus.SUPPLEMENT_RECEIVED:
        return event
    status = DossierStatus.IN_PROGRESS
    return event.model_copy(
        update={
            "status": status,
            "event_type": f"dossier.{status}",
            "event_id": dossier_event_id(event.source, event.dossier_id, status, event.occurred_at),
        }
    )


def test_events_reach_kafka_through_pull_and_push(settings: Settings) -> None:
    events = generate(
        day=date(2025, 3, 12), hours=14, seed=SEED, scale=0.05, hash_key=settings.hash_key
    )
    sink = AdaptersSink(settings, seed=SEED, poll_interval=0.2)
    tally = run(events, sink, Pacer(), namespace=settings.kafka.namespace)
    assert not tally.errors, tally.errors
    assert sum(tally.acked.values()) == len(events)

    received: Counter[bytes] = Counter()
    for spec in SOURCE_TOPICS:
        assert spec.model is not None
        for record in read_all(settings.kafka, spec.name(settings.kafka.namespace)):
            event = spec.model.model_validate_json(record.value)
            assert record.key == event.key().encode()
            received[event.to_json_bytes()] += 1
    expected = Counter(expected_from_adapters(e).to_json_bytes() for e in events)
    assert received == expected
    assert any(isinstance(e, DossierEvent) for e in events)

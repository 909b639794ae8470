"""The pull adapter against a local change feed and the real broker."""

from __future__ import annotations

import json

from cityops.contract import DossierEvent
from cityops.settings import Settings
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.testing.harness import Harness


def harness_for(settings: Settings) -> Harness:
    harness = Harness(DossierConnector, settings)
    harness.config = {**harness.config, "page_size": 2}
    return harness


def event_ids(harness: Harness) -> list[str]:
    return [DossierEvent.model_validate_json(r.value).event_id for r in harness.events()]


def test_same_second_records_across_pages_are_neither_lost_nor_repeated(settings) -> None:
    harness = harness_for(settings)
    # Five changes in the same second: page boundaries fall inside the tie.
    same_second = [sync_record(f"HS-{i}", 4, "20250303090000") for i in range(5)]
    try:
        with harness.running() as connector:
            harness.deliver(connector, [json.dumps(r).encode() for r in same_second])
            harness.wait_acked(connector, 5)
        checkpoint = connector.checkpoints.load()
        assert checkpoint == {"updated_since": "20250303090000", "after_id": "HS-4"}
        later = [sync_record("HS-5", 2, "20250303090000"), sync_record("HS-0", 9, "20250303100000")]
        with harness.running() as restarted:
            harness.deliver(restarted, [json.dumps(r).encode() for r in later])
            harness.wait_acked(restarted, 2)
        ids = event_ids(harness)
        assert len(ids) == len(set(ids)) == 7
    finally:
        harness.close()


def test_source_outage_backs_off_and_loses_nothing(settings) -> None:
    harness = harness_for(settings)
    feed = harness.sample_source.feed  # type: ignore[attr-defined]
    records = [sync_record(f"HS-{i}", 2, f"202503030{i}0000") for i in range(1, 6)]
    feed.fail_next(3, status=503)
    feed.fail_next(1, status=200, body=b"<html>maintenance</html>")
    try:
        with harness.running() as connector:
            harness.deliver(connector, [json.dumps(r).encode() for r in records])
            harness.wait_acked(connector, 5)
            assert connector.metrics.rejected["source_error"] == 4
        assert len(set(event_ids(harness))) == 5
    finally:
        harness.close()

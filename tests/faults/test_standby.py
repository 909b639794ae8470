"""A standby copy promoted after its owner's SIGKILL holds every state (issue 12).

Two RocksDB workers with one standby replica: A holds every dossier, B joins and starts its
standby copies while A's changelogs hold tens of thousands of records, so B's copies are still
reading when its recovery ends. A is SIGKILLed; B's standby copies become its active tables,
read only the changelog after the offset they stored, and a second event of every dossier
arrives. Every dossier's state must then include both events.

Two causes of missing states were found and fixed. The standby records fetched while B's
recovery ended were dropped (streams/standby.py: 1,930 and 2,333 records of one partition in
two runs, 1,435 of 60,000 dossiers behind). And A handed partitions over with thousands of
changelog records still in its producer buffer (streams/handover.py): B recovered two
partitions from 60 and 78 records where ~10,000 each were due, and lacked 4,870 and 6,657
states once promoted. With both fixes each variant passed 3 runs of 3 (2026-11-30)."""

from __future__ import annotations

import time

import pytest

from cityops.contract import DossierEvent
from tests.support.feeding import missing, publish, settled
from tests.support.pipeline import wait_until
from tests.unit.streams.factories import dossier_event

#: Enough changelog records that B's standby copies are still reading when its recovery ends.
DOSSIERS = 60_000
ROCKSDB_STANDBY = {
    "CITYOPS_STREAMS__STORE": "rocksdb://",
    "CITYOPS_STREAMS__STANDBY_REPLICAS": "1",
}


def _events(status: str, minutes: float) -> list[DossierEvent]:
    """One event of every dossier, due far enough ahead that none raises an alert."""
    return [
        dossier_event(status, minutes, dossier_id=f"S-{n:06d}", due_days=400)
        for n in range(DOSSIERS)
    ]


@pytest.mark.parametrize("joined_seconds", [40, 20], ids=["standby-reading", "join-recovering"])
def test_promoted_standby_holds_every_state(  # type: ignore[no-untyped-def]
    pipeline_settings, start_worker, ch, joined_seconds
) -> None:
    """A dies `joined_seconds` after B started: once both finished recovering B's join and B's
    standby copies are reading (40), or while A was still recovering it (20; the run that lost
    3,712 states)."""
    database = pipeline_settings.clickhouse.database
    received = _events("received", 0)
    publish(pipeline_settings, received)
    a = start_worker(state="a", **ROCKSDB_STANDBY)
    wait_until(lambda: settled(ch, database, received), timeout=600, every=1)

    start_worker(state="b", **ROCKSDB_STANDBY)
    time.sleep(joined_seconds)  # B joins, recovers its half, reads the other as a standby
    a.kill()
    both = received + _events("in_progress", 60)
    publish(pipeline_settings, both[DOSSIERS:])
    wait_until(
        lambda: settled(ch, database, both),
        timeout=300,
        every=2,
        describe=lambda: missing(ch, database, both),
    )

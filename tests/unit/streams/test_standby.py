"""The changelog queue keeps a standby's records when flow control resumes after a recovery
(streams/standby.py): upstream dropped them, and a promoted standby then served states from
before the hole. Runs Faust's own flow control on the worker's table manager, so it fails if
upstream stops clearing its queues this way."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from faust.types import TP

from streams.standby import ChangelogQueue, TableManager

STANDBY = TP("dossier-state-changelog", 4)
ACTIVE = TP("dossier-state-changelog", 1)


def _event(tp: TP, offset: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, offset=offset))


def _offsets(queue: ChangelogQueue) -> list[tuple[int, int]]:
    drained = []
    while queue.qsize():
        event = queue.get_nowait()
        drained.append((event.message.tp.partition, event.message.offset))
    return drained


def test_standby_records_survive_the_resume_after_a_recovery() -> None:
    asyncio.run(_resume())


async def _resume() -> None:
    app = faust.App("unit-standby", TableManager=TableManager, autodiscover=False)
    queue = app.tables.changelog_queue
    assert isinstance(queue, ChangelogQueue)
    recovery = app.tables.recovery
    recovery.standby_tps = {STANDBY}

    def fill() -> None:
        for offset in (7, 8):
            queue.put_nowait(_event(STANDBY, offset))
            queue.put_nowait(_event(ACTIVE, offset))

    # Revocation: flow control suspended, then cleared: nothing is kept (upstream's).
    fill()
    app.flow_control.suspend()
    app.flow_control.clear()
    assert queue.qsize() == 0

    # A recovery's own resume: upstream's clear too.
    fill()
    recovery.in_recovery = True
    app.flow_control.resume()
    assert queue.qsize() == 0

    # The resume once the recovery is over, standbys fetching: their records stay, in order.
    fill()
    recovery.in_recovery = False
    app.flow_control.suspend()
    app.flow_control.resume()
    assert _offsets(queue) == [(4, 7), (4, 8)]

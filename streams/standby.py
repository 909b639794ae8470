"""Standby table copies that miss no changelog record.

Faust reads every table changelog through one queue that flow control empties whenever it
resumes (`clear_on_resume`), so that records fetched before a rebalance are not applied after
it. At the end of a recovery, though, the standby partitions are already fetching: Faust
resumes them, then runs the recovery callbacks, seeks the source partitions (a broker round
trip) and only then resumes flow control. The standby records that reached the queue
meanwhile were thrown away, never fetched again (nothing seeks back), and the standby went on
from the next ones: its copy had a hole, and its stored offset (RocksDB) claimed the records
of the hole. A standby promoted after its peer's death then served the states from before the
hole (2026-11-30, 60,000 open dossiers: 1,930 records of one partition dropped and 1,435
states missing in one run; with this module, 2,333 such records kept and none missing in the
next). The other loss found, changelog records still buffered by the previous owner when it
handed a partition over, is streams/handover.py's.

`ChangelogQueue` keeps, when flow control resumes after a finished recovery, the records of
the partitions that are standby copies now: they were fetched after this generation's seek of
those partitions, in order, so applying them leaves no hole. Every other clear (on
revocation, during a recovery) is upstream's. `TableManager` is Faust's, with this queue; the
app takes it through Faust's `TableManager` setting.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.tables import TableManager as UpstreamTableManager
from faust.types import EventT
from mode.utils.queues import ThrowableQueue


class ChangelogQueue(ThrowableQueue):
    """The changelog queue: cleared like upstream's, except for the standby records waiting
    when flow control resumes after a finished recovery."""

    def __init__(self, manager: UpstreamTableManager, **kwargs: Any) -> None:
        self.manager = manager
        super().__init__(**kwargs)

    def clear(self) -> None:
        if not self._resuming_after_recovery():
            super().clear()
            return
        waiting: list[EventT] = []
        while self.qsize():
            waiting.append(asyncio.Queue.get_nowait(self))  # in order, not the thrown errors
        super().clear()
        standby = self.manager.recovery.standby_tps
        for event in waiting:
            if event.message.tp in standby:
                self.put_nowait(event)

    def _resuming_after_recovery(self) -> bool:
        # Flow control clears its queues while still suspended on revocation, and once active
        # again on resume; a recovery is over when its standby partitions start.
        recovery = self.manager.recovery
        return self.manager.app.flow_control.is_active() and not recovery.in_recovery


class TableManager(UpstreamTableManager):
    """Faust's table manager, reading changelogs through a `ChangelogQueue`."""

    _standby_safe_queue: ChangelogQueue | None = None

    @property
    def changelog_queue(self) -> ThrowableQueue:
        if self._standby_safe_queue is None:
            self._standby_safe_queue = ChangelogQueue(
                self,
                maxsize=self.app.conf.stream_buffer_maxsize,
                flow_control=self.app.flow_control,
                clear_on_resume=True,
            )
        return self._standby_safe_queue

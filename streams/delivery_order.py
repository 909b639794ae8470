"""Which fetched source record the drain loop may hand to an inbox next, per partition.

Kafka numbers a partition's records without holes (the source topics are neither compacted
nor written in transactions), so each partition's records must reach its inbox as one
unbroken run from the offset the consumer last sought. Faust's own bookkeeping (a read
offset per partition, and a "gap" it counts as acknowledged whenever a record jumps past
it) assumes that every record it iterates was fetched after the latest seek. Around a
rebalance that does not hold: aiokafka fetches in its own thread, Faust drops the fetched
records of partitions paused for a recovery, and a fetch made before the seek to the
committed offsets is still iterated after it. Faust then counted the offsets it never
delivered as a gap and committed past them, and dropped the records the seek delivered
again as already read: the multi-worker fault tests lost 51 dossier, 32 payment and 118
portal events this way (2026-11-30), and a seek counter kept next to the loop could not
tell which fetch came before which seek.

The rule here does not need to know: a record is delivered only if its offset is the one
expected next. An older one was delivered already (or is committed); a newer one means
records in between were dropped somewhere, so the partition is sought back to the expected
offset, once per fetch, and the records of that fetch are skipped. Only when a partition
still starts past the expected offset after `max_reseeks` fresh fetches is the hole
accepted as real (records deleted by retention before anyone read them) and logged, so
nothing loops forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from faust.types import TP

#: Fresh fetches that may start past the expected offset before the hole is taken as real.
MAX_RESEEKS = 5


class Verdict(Enum):
    DELIVER = "deliver"
    #: Not now: delivered already, before the partition's first seek, or the rest of a
    #: fetch that asked for a seek.
    SKIP = "skip"
    #: Records before this one were dropped: seek the partition back to `expected()`.
    RESEEK = "reseek"
    #: The partition has no records between the expected offset and this one: deliver it
    #: (it is now the expected one), and count the hole as read so commits pass it.
    HOLE = "hole"


@dataclass
class _Reseek:
    offset: int
    fetch: int
    attempts: int = 1


@dataclass
class DeliveryOrder:
    """The next offset each source partition must deliver, and the seeks asked to reach it."""

    max_reseeks: int = MAX_RESEEKS
    _next: dict[TP, int] = field(default_factory=dict)
    _reseeks: dict[TP, _Reseek] = field(default_factory=dict)

    def sought(self, tp: TP, offset: int) -> None:
        """The consumer will fetch `tp` from `offset` on."""
        self._next[tp] = offset
        pending = self._reseeks.get(tp)
        if pending is not None and pending.offset != offset:
            del self._reseeks[tp]

    def forget(self) -> None:
        """Partitions are revoked and their inboxes emptied: nothing is delivered until the
        seek that follows every assignment says where each partition starts."""
        self._next.clear()
        self._reseeks.clear()

    def expected(self, tp: TP) -> int | None:
        return self._next.get(tp)

    def verdict(self, tp: TP, offset: int, fetch: int) -> Verdict:
        """What to do with the record at `offset` of `tp`, iterated from fetch number `fetch`."""
        expected = self._next.get(tp)
        if expected is None or offset < expected:
            return Verdict.SKIP
        if offset == expected:
            return Verdict.DELIVER
        pending = self._reseeks.get(tp)
        if pending is None or pending.offset != expected:
            self._reseeks[tp] = _Reseek(expected, fetch)
            return Verdict.RESEEK
        if fetch == pending.fetch:
            return Verdict.SKIP
        if pending.attempts >= self.max_reseeks:
            del self._reseeks[tp]
            self._next[tp] = offset
            return Verdict.HOLE
        pending.attempts += 1
        pending.fetch = fetch
        return Verdict.RESEEK

    def reseek_failed(self, tp: TP) -> None:
        """The seek asked for was refused: ask again on the next record, not as an attempt."""
        self._reseeks.pop(tp, None)

    def delivered(self, tp: TP, offset: int) -> None:
        self._next[tp] = offset + 1
        self._reseeks.pop(tp, None)

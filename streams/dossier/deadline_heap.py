"""The deadline timer's queue: when each open dossier's alerts can next change, earliest first.

It holds an entry per open dossier for as long as the dossier stays open, so at a province's
1 M open dossiers its size is the worker's largest structure in the Python heap. An entry is
one `bytes`: the moment (epoch ms, 8 bytes big-endian, so that the order of the bytes is the
order of the moments) followed by the dossier id in UTF-8. That is about 60 bytes an entry
with the list's slot; a dataclass of `(at_ms, dossier_id)` cost 166 (the object, its int and
its str), 0.17 GB at 1 M (README, "Performance").
"""

from __future__ import annotations

import heapq

#: Bytes of the moment at the head of an entry.
_MOMENT = 8


def _entry(at_ms: int, dossier_id: str) -> bytes:
    # Deadlines before 1970 do not exist (the contract's window starts in 2000); clamped so a
    # bad one still sorts first instead of failing to encode.
    return max(at_ms, 0).to_bytes(_MOMENT, "big") + dossier_id.encode()


class DeadlineHeap:
    """A min-heap of (moment, dossier id), stored compactly; a dossier may be in it twice
    (once per scheduling), which is harmless: each pop is evaluated against its state."""

    def __init__(self) -> None:
        self._entries: list[bytes] = []

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, at_ms: int, dossier_id: str) -> None:
        heapq.heappush(self._entries, _entry(at_ms, dossier_id))

    def pop_due(self, now_ms: int) -> str | None:
        """The dossier of the earliest entry if its moment is not after `now_ms`, removed."""
        if not self._entries or self.next_ms() > now_ms:
            return None
        return heapq.heappop(self._entries)[_MOMENT:].decode()

    def next_ms(self) -> int | None:
        """The earliest moment held, or None."""
        if not self._entries:
            return None
        return int.from_bytes(self._entries[0][:_MOMENT], "big")

    def clear(self) -> None:
        self._entries = []

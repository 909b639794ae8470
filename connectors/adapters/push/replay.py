"""Answers to signed requests, kept for the replay window so a resent request is answered
the same way without publishing again.

A sender that timed out resends the very same request (same timestamp, body and so
signature). Publishing it again would be harmless downstream (same event ids), but it would
cost a second round of validation, dead letters and Kafka sends; worse, a captured request
replayed many times within the window would cost that every time. So the first answer is
kept until the signature's timestamp leaves the window, and a copy that arrives while the
first is still being processed waits for that first answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

#: Answers kept at most; the oldest go first (a replay of one of those publishes again,
#: which the idempotent pipeline absorbs).
MAX_KEPT = 100_000


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]


class ReplayCache:
    def __init__(self, window_seconds: float, *, max_kept: int = MAX_KEPT) -> None:
        self.window = window_seconds
        self.max_kept = max_kept
        self._kept: OrderedDict[str, tuple[float, Answer]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[Answer]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    async def answer(
        self,
        key: str,
        signed_at: float,
        compute: Callable[[], Awaitable[Answer]],
        *,
        keep: Callable[[Answer], bool],
    ) -> tuple[Answer, bool]:
        """(answer, replayed): the kept answer for `key`, or `compute()`'s, kept if `keep`."""
        self._expire(time.time())
        kept = self._kept.get(key)
        if kept is not None:
            return kept[1], True
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending), True
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiting copy re-raises it, nobody else must
            raise
        finally:
            del self._inflight[key]
        future.set_result(result)
        if keep(result):
            self._kept[key] = (signed_at + self.window, result)
            while len(self._kept) > self.max_kept:
                self._kept.popitem(last=False)
        return result, False

    def _expire(self, now: float) -> None:
        while self._kept:
            key, (expires, _) = next(iter(self._kept.items()))
            if expires > now:
                break
            del self._kept[key]

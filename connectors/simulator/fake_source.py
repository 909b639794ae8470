"""A local e-dossier REST API serving national-portal records as a change feed (aiohttp).

`GET /api/dossiers?updated_since=<yyyyMMddHHmmss, inclusive>&after_id=<MaHoSo, exclusive
among records of that second>&limit=<n>` answers `{"items": [...], "has_more": bool}`
sorted by (NgayCapNhat, MaHoSo), the protocol the pull adapter speaks. Records are kept
sorted as they are added, so a page is two binary searches even with a day's records.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from cityops.timeutil import parse_local
from connectors.simulator.identities import source_stamp

MAX_LIMIT = 10_000


def _cursor(value: str) -> str:
    """A client's `updated_since` in the feed's own form; ISO 8601 is accepted too."""
    return source_stamp(parse_local(value, bounded=False)) if value else ""


class FakeSource:
    def __init__(self, records: Iterable[dict[str, Any]] = (), *, path: str = "/api/dossiers"):
        self.path = path
        self._keys: list[tuple[str, str, int]] = []
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self.port: int | None = None
        self.requests = 0
        self.add(records)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for record in records:
                # The sequence number keeps two identical (time, id) records both present.
                key = (str(record["NgayCapNhat"]), str(record["MaHoSo"]), len(self._keys))
                index = bisect.bisect(self._keys, key)
                self._keys.insert(index, key)
                self._records.insert(index, record)

    def page(self, updated_since: str, after_id: str, limit: int) -> dict[str, Any]:
        with self._lock:
            start = bisect.bisect_right(self._keys, (updated_since, after_id, 1 << 62))
            items = self._records[start : start + limit]
            has_more = start + limit < len(self._records)
        return {"items": items, "has_more": has_more}

    async def _dossiers(self, request: web.Request) -> web.Response:
        self.requests += 1
        query = request.query
        try:
            since = _cursor(query.get("updated_since", ""))
            limit = min(MAX_LIMIT, max(1, int(query.get("limit", "500"))))
        except ValueError as exc:
            return web.json_response({"error": f"bad query: {exc}"}, status=400)
        return web.json_response(self.page(since, query.get("after_id", ""), limit))

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.path, self._dossiers)
        return app

    # -- running in a background thread ---------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the fake source is not started")
        return f"http://127.0.0.1:{self.port}"

    def start(self, host: str = "127.0.0.1", port: int = 0, timeout: float = 10) -> str:
        """Serve in a daemon thread; returns the base URL once it listens."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(host, port)), name="fake-source", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the fake source did not start")
        return self.url

    async def _serve(self, host: str, port: int) -> None:
        runner = web.AppRunner(self.build_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._ready.set()
        try:
            while not self._stopped.is_set():
                await asyncio.sleep(0.1)
        finally:
            await runner.cleanup()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

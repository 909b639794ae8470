"""The one local change feed speaking the pull adapter's protocol, for tests and the simulator.

`GET <path>?updated_since=<yyyyMMddHHmmss or ISO 8601, inclusive>&after_id=<id, exclusive
among records of that second>&limit=<n>` answers `{"items": [...], "has_more": bool}` sorted
by (change time, id): the same ordering and cursor rules a real source must follow, so a
test against it proves the connector's side of the protocol, not the fake's. Records are
kept sorted as they are added, so a page is a binary search even with a day's records.

It can also misbehave on request, the way real sources do: fail or cut short the next
answers, or ignore the cursor altogether.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from connectors.adapters.pull.cursor import cursor_key

if TYPE_CHECKING:
    from connectors.sdk.connector import Connector

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Answer:
    """One scripted answer; `declared_length` over `len(body)` makes a truncated body."""

    status: int
    body: bytes
    declared_length: int | None = None


class FakeFeed:
    def __init__(
        self,
        cursor_field: str = "NgayCapNhat",
        id_field: str = "MaHoSo",
        records: Iterable[dict[str, Any]] = (),
        *,
        path: str = "/api/dossiers",
        token: str = "",
    ) -> None:
        self.cursor_field = cursor_field
        self.id_field = id_field
        self.path = path
        self.token = token
        #: Serve every page from the start, whatever the cursor says (a broken source).
        self.ignore_cursor = False
        self.requests = 0
        self._keys: list[tuple[str, str, int]] = []
        self._records: list[dict[str, Any]] = []
        self._scripted: list[Answer] = []
        self._lock = threading.Lock()
        self.add(records)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-feed", daemon=True
        )
        self._thread.start()

    def __len__(self) -> int:
        return len(self._records)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for record in records:
                # The sequence number keeps two identical (time, id) records both present.
                key = (*self._key(record), len(self._keys))
                index = bisect.bisect(self._keys, key)
                self._keys.insert(index, key)
                self._records.insert(index, record)

    def fail_next(self, count: int, status: int = 503, body: bytes = b"unavailable") -> None:
        """Answer the next `count` requests with `status` and `body` instead of a page."""
        with self._lock:
            self._scripted.extend([Answer(status, body)] * count)

    def serve_next(self, *pages: Any) -> None:
        """Answer the next requests with these pages (any JSON), whatever they ask for."""
        with self._lock:
            self._scripted.extend(Answer(200, json.dumps(p).encode("utf-8")) for p in pages)

    def truncate_next(self, count: int = 1) -> None:
        """Cut the next `count` answers short: the client sees an incomplete body."""
        body = b'{"items": [{"MaHoSo": "cut'
        with self._lock:
            self._scripted.extend([Answer(200, body, len(body) + 1000)] * count)

    def _key(self, record: dict[str, Any]) -> tuple[str, str]:
        """A record's place in the feed; an unreadable change time sorts as its text."""
        raw = record.get(self.cursor_field)
        since = cursor_key(raw) or ("" if raw is None else str(raw))
        return since, str(record.get(self.id_field) or "")

    def page(self, updated_since: str, after_id: str, limit: int) -> dict[str, Any]:
        """Records after (updated_since, after_id) in feed order, at most `limit`."""
        with self._lock:
            if self.ignore_cursor:
                start = 0
            else:
                start = bisect.bisect_right(self._keys, (updated_since, after_id, 1 << 62))
            items = self._records[start : start + limit]
            has_more = start + limit < len(self._records)
        return {"items": items, "has_more": has_more}

    def _answer(self, query: str) -> Answer:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        raw_since = params.get("updated_since", "")
        since = cursor_key(raw_since) if raw_since else ""
        try:
            limit = min(MAX_LIMIT, max(1, int(params.get("limit", "500"))))
        except ValueError:
            limit = 0
        if since is None or not limit:
            return Answer(400, b'{"error": "bad query"}')
        page = self.page(since, params.get("after_id", ""), limit)
        return Answer(200, json.dumps(page, ensure_ascii=False).encode("utf-8"))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                with feed._lock:
                    feed.requests += 1
                    scripted = feed._scripted.pop(0) if feed._scripted else None
                if scripted is not None:
                    self._send(scripted)
                elif url.path != feed.path:
                    self._send(Answer(404, b'{"error": "not found"}'))
                elif feed.token and self.headers.get("Authorization") != f"Bearer {feed.token}":
                    self._send(Answer(401, b'{"error": "unauthorized"}'))
                else:
                    self._send(feed._answer(url.query))

            def _send(self, answer: Answer) -> None:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                length = answer.declared_length or len(answer.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FeedSampleSource:
    """The contract suite's stand-in for a pull connector's source."""

    def __init__(self, cursor_field: str, id_field: str) -> None:
        self.feed = FakeFeed(cursor_field, id_field)

    def config(self, source: str, secret: str) -> dict[str, Any]:
        self.feed.token = secret
        return {
            "source": source,
            "base_url": self.feed.url,
            "api_token": secret,
            "poll_interval": 0.05,
            "page_size": 3,
            "backoff_initial": 0.05,
            "backoff_max": 0.5,
        }

    def deliver(self, connector: Connector, records: list[bytes]) -> None:
        self.feed.add([json.loads(r) for r in records])

    def close(self) -> None:
        self.feed.close()

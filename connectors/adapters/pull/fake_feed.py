"""A local change-feed server speaking the pull adapter's protocol, for tests and demos.

It applies the same ordering and cursor rules a real source must (sorted by change time,
then id; `after_id` exclusive among records of the same second), so a test against it
proves the connector's side of the protocol, not the fake's.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from connectors.adapters.pull.poller import cursor_key

if TYPE_CHECKING:
    from connectors.sdk.connector import Connector


class FakeFeed:
    def __init__(
        self, cursor_field: str, id_field: str, *, path: str = "/api/dossiers", token: str = ""
    ) -> None:
        self.cursor_field = cursor_field
        self.id_field = id_field
        self.path = path
        self.token = token
        self.records: list[dict[str, Any]] = []
        #: Answers to give before serving normally again: (status, body) pairs.
        self.failures: list[tuple[int, bytes]] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self.records.extend(records)

    def fail_next(self, count: int, status: int = 503, body: bytes = b"unavailable") -> None:
        with self._lock:
            self.failures.extend([(status, body)] * count)

    def _key(self, record: dict[str, Any]) -> tuple[str, str]:
        return cursor_key(record.get(self.cursor_field)), str(record.get(self.id_field) or "")

    def page(self, updated_since: str, after_id: str, limit: int) -> dict[str, Any]:
        """`updated_since` is inclusive; `after_id` only breaks ties within that second."""
        since = cursor_key(updated_since)
        with self._lock:
            newer = sorted(
                (
                    r
                    for r in self.records
                    if self._key(r)[0] > since
                    or (self._key(r)[0] == since and self._key(r)[1] > after_id)
                ),
                key=self._key,
            )
        return {"items": newer[:limit], "has_more": len(newer) > limit}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                with feed._lock:
                    feed.requests += 1
                    failure = feed.failures.pop(0) if feed.failures else None
                if failure:
                    self._send(failure[0], failure[1])
                    return
                if url.path != feed.path:
                    self._send(404, b'{"error": "not found"}')
                    return
                if feed.token and self.headers.get("Authorization") != f"Bearer {feed.token}":
                    self._send(401, b'{"error": "unauthorized"}')
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                page = feed.page(
                    query.get("updated_since", ""),
                    query.get("after_id", ""),
                    int(query.get("limit", "500")),
                )
                self._send(200, json.dumps(page, ensure_ascii=False).encode("utf-8"))

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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

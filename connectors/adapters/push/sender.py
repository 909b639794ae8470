"""Posting signed webhooks: what a source system (or the simulator, or a test) does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from connectors.adapters.push.signing import signed_headers

if TYPE_CHECKING:
    from connectors.sdk.connector import Connector


def post_signed(
    url: str, secret: str, body: bytes, *, timestamp: int | None = None, timeout: float = 60
) -> tuple[int, Any]:
    """POST `body` signed with `secret`; returns (status, parsed JSON answer)."""
    request = urllib.request.Request(
        url, data=body, headers=signed_headers(secret, body, timestamp), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


class WebhookSampleSource:
    """The contract suite's stand-in for a push connector's sources."""

    def __init__(self) -> None:
        self.source = ""
        self.secret = ""
        self.statuses: list[int] = []

    def config(self, source: str, secret: str) -> dict[str, Any]:
        self.source, self.secret = source, secret
        return {"source": source, "host": "127.0.0.1", "port": 0, "secrets": {source: secret}}

    def deliver(self, connector: Connector, records: list[bytes]) -> None:
        if not connector.ready.wait(30):
            raise TimeoutError("webhook receiver did not start")
        port = getattr(connector, "bound_port", None)
        url = f"http://127.0.0.1:{port}/webhooks/{self.source}"
        for record in records:
            status, answer = post_signed(url, self.secret, record)
            if status not in (200, 422):
                raise RuntimeError(f"webhook answered {status}: {answer}")
            self.statuses.append(status)

    def close(self) -> None:
        pass

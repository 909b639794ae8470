"""`provision` sends the right calls to Grafana's HTTP API.

No Grafana can run here, so a tiny recording HTTP server on loopback stands in for it: it
answers the few reads (datasource/folder not found yet, no contact points) and records every
write, which is what this test checks against Grafana's documented provisioning API paths.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from grafana_client import GrafanaApi

from dashboards import defaults as d
from dashboards.alerting.notify import DUTY_OFFICERS, TEMPLATE_NAME, Recipients
from dashboards.alerting.rules import RULES
from dashboards.boards import BUILDERS
from dashboards.provision import provision
from dashboards.provisioning import ALERTS_FOLDER_UID, FOLDER_UID, ClickHouseTarget


class _FakeGrafana(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, str, Any, dict[str, str]]]] = []

    def _answer(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.calls.append((self.command, self.path, body, dict(self.headers)))

    def do_GET(self) -> None:
        self._record()
        if self.path.startswith("/api/v1/provisioning/contact-points"):
            self._answer(200, [])
        else:
            self._answer(404, {"message": "not found"})

    def do_POST(self) -> None:
        self._record()
        self._answer(200, {"status": "success"})

    do_PUT = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def grafana() -> Iterator[str]:
    _FakeGrafana.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGrafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_provision_upserts_everything(grafana: str) -> None:
    api = GrafanaApi.from_url(grafana, credential="token-xyz")
    target = ClickHouseTarget("ch.internal", 9000, "cityops", "cityops_reader", "s3cret")
    recipients = Recipients(
        email_to="ops@example.org",
        telegram_chat_id="-100123",
        telegram_bot_token="bot-secret",
        webhook_url="https://hooks.example/duty",
    )
    report = provision(api, target, recipients)

    writes = [(m, p, b, h) for m, p, b, h in _FakeGrafana.calls if m != "GET"]
    by_path = {(m, p): (b, h) for m, p, b, h in writes}
    assert all(h.get("Authorization") == "Bearer token-xyz" for *_, h in _FakeGrafana.calls)

    datasource, _ = by_path[("POST", "/api/datasources")]
    assert datasource["uid"] == d.DATASOURCE_UID and datasource["jsonData"]["host"] == "ch.internal"
    assert datasource["secureJsonData"] == {"password": "s3cret"}

    folders = [b for m, p, b, _ in writes if p == "/api/folders"]
    assert {f["uid"] for f in folders} == {FOLDER_UID, ALERTS_FOLDER_UID}
    assert len({f["title"] for f in folders}) == 2, "one title per folder"

    boards = [b for m, p, b, _ in writes if p == "/api/dashboards/db"]
    assert {b["dashboard"]["uid"] for b in boards} == set(BUILDERS)
    assert all(b["overwrite"] and b["folderUid"] == FOLDER_UID for b in boards)

    points = [b for m, p, b, _ in writes if p == "/api/v1/provisioning/contact-points"]
    duty = {p["type"]: p for p in points if p["name"] == DUTY_OFFICERS}
    assert duty["webhook"]["settings"]["url"] == "https://hooks.example/duty"
    assert duty["telegram"]["settings"]["bottoken"] == "bot-secret"
    assert ("PUT", f"/api/v1/provisioning/templates/{TEMPLATE_NAME}") in by_path

    policy, headers = by_path[("PUT", "/api/v1/provisioning/policies")]
    assert policy["routes"][0]["receiver"] == DUTY_OFFICERS
    assert headers.get("X-Disable-Provenance") == "true"

    groups = [b for m, p, b, _ in writes if "/rule-groups/" in p]
    assert all(
        f"/folder/{ALERTS_FOLDER_UID}/" in p for m, p, b, _ in writes if "/rule-groups/" in p
    )
    assert sorted(r["uid"] for g in groups for r in g["rules"]) == sorted(r.uid for r in RULES)
    assert report.done["rule group"] and report.done["dashboard"]

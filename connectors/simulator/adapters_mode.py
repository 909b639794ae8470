"""The adapters mode: simulated events reach Kafka through the real source adapters.

Dossier changes become national-portal records on a local fake e-dossier API that the real
dossier (pull) connector polls; payment and portal events are POSTed, signed, in batches, to
the real payment and portal (push) connectors' webhook receivers. So a demo or a test
exercises the whole connector path: mapping, hashing, validation, signatures, acks.
"""

from __future__ import annotations

import logging
import queue
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cityops.contract import DossierEvent, Envelope
from cityops.settings import Settings
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.adapters.push.sender import post_signed
from connectors.dossier.connector import DossierConnector
from connectors.payment.connector import PaymentConnector
from connectors.portal.connector import PortalConnector
from connectors.sdk.connector import Connector
from connectors.simulator.identities import SourceNames, raw_applicant_id
from connectors.simulator.portal_record import to_portal_record
from connectors.simulator.runner import Tally

log = logging.getLogger(__name__)

#: Events per webhook request: well under the receiver's 1 MiB limit.
BATCH = 200
RETRIES = 8


class WebhookSender(threading.Thread):
    """Posts queued events as signed JSON arrays, as soon as they come, batching a backlog."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(name=f"webhook-sender {url}", daemon=True)
        self.url, self.secret = url, secret
        self.queue: queue.Queue[Envelope | None] = queue.Queue()
        self.errors: list[str] = []

    def submit(self, event: Envelope) -> None:
        self.queue.put(event)

    def close(self) -> None:
        self.queue.put(None)
        self.join()

    def run(self) -> None:
        done = False
        while not done:
            first = self.queue.get()
            batch = [] if first is None else [first]
            done = first is None
            while not done and len(batch) < BATCH:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    done = True
                else:
                    batch.append(item)
            if batch:
                self._post(b"[" + b",".join(e.to_json_bytes() for e in batch) + b"]")

    def _post(self, body: bytes) -> None:
        for attempt in range(RETRIES):
            try:
                status, answer = post_signed(self.url, self.secret, body)
            except OSError as exc:
                status, answer = 0, str(exc)
            if status in (200, 422):  # 422: the receiver dead-lettered the invalid ones
                return
            if status not in (0, 503):
                break
            time.sleep(min(10.0, 0.5 * 2**attempt))
        self.errors.append(f"{self.url} answered {status}: {str(answer)[:200]}")


class AdaptersSink:
    """Starts the fake source and the three connectors; `send` feeds them, `close` drains."""

    def __init__(
        self,
        settings: Settings,
        *,
        seed: int = 1,
        sources: SourceNames | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self.seed = seed
        self.sources = sources or SourceNames()
        # A fresh checkpoint folder: a re-run of the same day must not resume past it.
        self._state = tempfile.TemporaryDirectory(prefix="cityops-sim-")
        local = settings.model_copy(update={"state_dir": Path(self._state.name)})
        self.feed = FakeFeed(DossierConnector.cursor_field, DossierConnector.id_field)
        base_url = self.feed.url
        self.dossiers = DossierConnector(
            {"source": self.sources.dossier, "base_url": base_url, "poll_interval": poll_interval},
            local,
        )
        self.webhooks: dict[str, tuple[Connector, WebhookSender]] = {}
        self._threads: list[threading.Thread] = [self._start(self.dossiers)]
        for family, connector_cls, source in (
            ("payment", PaymentConnector, self.sources.payment),
            ("portal", PortalConnector, self.sources.portal),
        ):
            secret = secrets.token_hex(16)
            connector = connector_cls(
                {"source": source, "port": 0, "secrets": {source: secret}}, local
            )
            self._threads.append(self._start(connector))
            if not connector.ready.wait(30):
                raise RuntimeError(f"the {family} webhook receiver did not start")
            port = getattr(connector, "bound_port", None)
            sender = WebhookSender(f"http://127.0.0.1:{port}/webhooks/{source}", secret)
            sender.start()
            self.webhooks[family] = (connector, sender)
        self.records = 0

    @staticmethod
    def _start(connector: Connector) -> threading.Thread:
        thread = threading.Thread(target=connector.start, name=repr(connector), daemon=True)
        thread.start()
        return thread

    def send(self, event: Envelope) -> None:
        if isinstance(event, DossierEvent):
            raw = raw_applicant_id(self.seed, event.dossier_id, event.applicant_type)
            self.feed.add([to_portal_record(event, raw, seed=self.seed)])
            self.records += 1
            return
        self.webhooks[event.family][1].submit(event)

    def _pull_caught_up(self) -> bool:
        metrics = self.dossiers.metrics
        return metrics.sent + metrics.dead_lettered_total + metrics.failed >= self.records

    def close(self, tally: Tally, *, timeout: float | None = None) -> None:
        try:
            for _, sender in self.webhooks.values():
                sender.close()
                tally.errors += sender.errors
            deadline = time.monotonic() + (timeout or 60 + self.records / 500)
            while not self._pull_caught_up() and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self._pull_caught_up():
                tally.errors.append(
                    f"the pull adapter published {self.dossiers.metrics.sent} of "
                    f"{self.records} dossier records before the deadline"
                )
        finally:
            connectors: list[Any] = [self.dossiers] + [c for c, _ in self.webhooks.values()]
            for connector in connectors:
                connector.stop()
            for thread in self._threads:
                thread.join(timeout=30)
            self.feed.close()
            self._state.cleanup()
        for connector in connectors:
            topic = connector.topic.name(connector.settings.kafka.namespace)
            tally.acked[topic] += connector.metrics.sent
            tally.failed[topic] += connector.metrics.failed
            tally.dead_lettered[topic] += connector.metrics.dead_lettered_total

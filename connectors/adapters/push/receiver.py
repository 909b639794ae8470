"""`POST /webhooks/{source}`: verify, validate, publish, and answer only after Kafka acked.

Answering 2xx before the broker has the events would make the sender forget them while
they can still be lost; so the response waits for every acknowledgement, and a Kafka failure
is a 503 the sender retries (same event ids, deduplicated downstream).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web
from kafka.errors import KafkaError
from pydantic import Field, SecretStr

from cityops.privacy import mask_text
from connectors.adapters.push.signing import (
    MAX_AGE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from connectors.sdk.connector import Connector, ConnectorConfig, Handled

if TYPE_CHECKING:
    from connectors.sdk.testing import SampleSource

MAX_BODY_BYTES = 1024 * 1024


class PushConfig(ConnectorConfig):
    host: str = "127.0.0.1"
    #: 0 picks a free port (tests); the bound one is in `PushConnector.bound_port`.
    port: int = Field(8090, ge=0, le=65535)
    #: One HMAC secret per sending source: the `{source}` path segment.
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    max_body_bytes: int = Field(MAX_BODY_BYTES, gt=0)
    max_age_seconds: int = Field(MAX_AGE_SECONDS, gt=0)
    #: How long a request may wait for Kafka's acknowledgements before a 503.
    ack_timeout: float = Field(30.0, gt=0)


class PushConnector(Connector):
    """A connector whose sources post signed contract JSON to it."""

    Config: ClassVar[type[ConnectorConfig]] = PushConfig
    config: PushConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bound_port: int | None = None

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=10)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self.bound_port = runner.addresses[0][1]
        self.log.info("receiving webhooks on http://%s:%s", self.config.host, self.bound_port)
        self.ready.set()
        try:
            while self.running:
                await asyncio.sleep(0.1)
        finally:
            # Stops accepting, lets in-flight requests (and their Kafka waits) finish.
            await runner.cleanup()

    def build_app(self) -> web.Application:
        # A little slack over the limit so that aiohttp does not refuse before we can count it.
        app = web.Application(client_max_size=self.config.max_body_bytes + 1)
        app.router.add_post("/webhooks/{source}", self._receive)
        app.router.add_get("/healthz", self._health)
        return app

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "metrics": self.metrics.snapshot()})

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.metrics.record_rejected(reason)
        self.log.warning("refused webhook (%s): %s", status, reason)
        return web.json_response({"error": reason}, status=status)

    async def _receive(self, request: web.Request) -> web.Response:
        source = request.match_info["source"]
        secret = self.config.secrets.get(source)
        if secret is None:
            shown = mask_text(source, self.settings.hash_key)
            return self._refuse(401, f"unknown_source: no secret configured for {shown!r}")
        if (request.content_length or 0) > self.config.max_body_bytes:
            return self._refuse(413, "too_large: body over the limit")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too_large: body over the limit")
        if len(body) > self.config.max_body_bytes:
            return self._refuse(413, "too_large: body over the limit")
        problem = verify(
            secret.get_secret_value(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            max_age=self.config.max_age_seconds,
        )
        if problem:
            return self._refuse(401, problem)
        loop = asyncio.get_running_loop()
        try:
            status, payload = await loop.run_in_executor(None, self.accept, body, source)
        except (KafkaError, TimeoutError) as exc:
            self.log.error("Kafka did not acknowledge a webhook from %s: %s", source, exc)
            return web.json_response(
                {"error": "kafka_unavailable: retry later"},
                status=503,
                headers={"Retry-After": "5"},
            )
        return web.json_response(payload, status=status)

    def accept(self, body: bytes, source: str) -> tuple[int, dict[str, Any]]:
        """Publish the valid events and dead-letter the rest, then wait for every ack."""
        try:
            data = json.loads(body)
        except ValueError:
            outcomes = [self.handle(body, source=source)]
        else:
            items = data if isinstance(data, list) else [data]
            outcomes = [self.handle(_as_input(item), source=source) for item in items]
        self._await_acks(outcomes)
        accepted = sum(1 for o in outcomes if o.event is not None)
        errors = [{"index": i, "reason": o.reason} for i, o in enumerate(outcomes) if o.reason]
        if errors:
            return 422, {"accepted": accepted, "rejected": len(errors), "errors": errors}
        return 200, {"accepted": accepted}

    def _await_acks(self, outcomes: list[Handled]) -> None:
        for outcome in outcomes:
            outcome.future.get(timeout=self.config.ack_timeout)

    @classmethod
    def sample_source(cls) -> SampleSource:
        from connectors.adapters.push.sender import WebhookSampleSource

        return WebhookSampleSource()


def _as_input(item: Any) -> Any:
    return item if isinstance(item, dict) else json.dumps(item).encode("utf-8")


logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

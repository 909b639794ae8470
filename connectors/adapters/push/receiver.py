"""`POST /webhooks/{source}`: verify, validate, publish, and answer only after Kafka acked.

Answering 2xx before the broker has the events would make the sender forget them while
they can still be lost; so the response waits for every acknowledgement, and a Kafka failure
is a 503 the sender retries (same event ids, deduplicated downstream).

The receiver stays cheap whatever is posted to it: a request holds at most `max_items`
events (413 beyond) nested at most `MAX_NESTING` levels (422, dead-lettered once); a body
that is wholly invalid is one dead letter, not one per item; refusals are logged at a
bounded rate; requests are processed by a fixed pool of threads, and beyond `max_pending`
waiting requests the receiver answers 503 at once instead of queueing without bound; a
resent request (same signature) is answered from the first answer without publishing again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web
from kafka.errors import KafkaError
from pydantic import Field, SecretStr, model_validator

from cityops.privacy import mask_text
from cityops.secretcheck import InsecureSettings
from connectors.adapters.push.replay import Answer, ReplayCache
from connectors.adapters.push.signing import (
    MAX_AGE_SECONDS,
    MIN_SECRET_BYTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from connectors.sdk.connector import Connector, ConnectorConfig, Handled
from connectors.sdk.limits import MAX_NESTING, too_deep
from connectors.sdk.metrics import reason_kind
from connectors.sdk.ratelog import RateLimitedLog

if TYPE_CHECKING:
    from connectors.sdk.testing import SampleSource

MAX_BODY_BYTES = 1024 * 1024
MAX_ITEMS = 1000
#: Headers of an answer given again to a resent request.
REPLAYED = {"X-Cityops-Replayed": "true"}


class PushConfig(ConnectorConfig):
    host: str = "127.0.0.1"
    #: 0 picks a free port (tests); the bound one is in `PushConnector.bound_port`.
    port: int = Field(8090, ge=0, le=65535)
    #: One HMAC secret per sending source (the `{source}` path segment), 32 bytes or more.
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    #: The same, each read from a file (a Docker or Kubernetes secret), by source.
    secret_files: dict[str, Path] = Field(default_factory=dict)
    max_body_bytes: int = Field(MAX_BODY_BYTES, gt=0)
    #: Events in one request; a longer array is refused whole with 413.
    max_items: int = Field(MAX_ITEMS, gt=0)
    max_age_seconds: int = Field(MAX_AGE_SECONDS, gt=0)
    #: How long a request may wait for Kafka's acknowledgements before a 503.
    ack_timeout: float = Field(30.0, gt=0)
    #: Threads validating and publishing requests.
    workers: int = Field(4, gt=0, le=64)
    #: Requests accepted for processing at once; more get 503 with Retry-After at once.
    max_pending: int = Field(64, gt=0)

    @model_validator(mode="after")
    def _read_secret_files(self) -> PushConfig:
        """Read each source's secret file once, at start; one that cannot be read is named."""
        for source, path in self.secret_files.items():
            try:
                self.secrets[source] = SecretStr(path.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise ValueError(
                    f"secret_files.{source}: cannot read {path} ({exc.strerror})"
                ) from None
        return self


class PushConnector(Connector):
    """A connector whose sources post signed contract JSON to it."""

    Config: ClassVar[type[ConnectorConfig]] = PushConfig
    config: PushConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bound_port: int | None = None
        self._warn = RateLimitedLog(self.log)
        self._replays = ReplayCache(self.config.max_age_seconds)
        self._pool: ThreadPoolExecutor | None = None
        self._pending = 0

    def refuse_unsafe_config(self) -> None:
        """Every webhook secret 32 bytes or more, whatever the mode: an HMAC key shorter
        than its output is weaker than the signature it keys."""
        short = [
            f"secrets.{source}"
            for source, secret in self.config.secrets.items()
            if len(secret.get_secret_value().encode("utf-8")) < MIN_SECRET_BYTES
        ]
        if short:
            raise InsecureSettings(
                f"refusing to start: connector {self.name}: {', '.join(short)} shorter than "
                f"{MIN_SECRET_BYTES} bytes; set longer ones in the connector's config"
            )

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._pool = ThreadPoolExecutor(self.config.workers, thread_name_prefix=self.name)
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=10)
        try:
            await runner.setup()
            site = web.TCPSite(runner, self.config.host, self.config.port)
            await site.start()
            self.bound_port = runner.addresses[0][1]
            self.log.info("receiving webhooks on http://%s:%s", self.config.host, self.bound_port)
            self.ready.set()
            while self.running:
                await asyncio.sleep(0.1)
        finally:
            # Stops accepting, lets in-flight requests (and their Kafka waits) finish.
            await runner.cleanup()
            self._pool.shutdown(wait=True)

    def build_app(self) -> web.Application:
        # A little slack over the limit so that aiohttp does not refuse before we can count it.
        app = web.Application(client_max_size=self.config.max_body_bytes + 1)
        app.router.add_post("/webhooks/{source}", self._receive)
        app.router.add_get("/healthz", self._health)
        return app

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "metrics": self.metrics.snapshot()})

    def _refuse(self, status: int, reason: str, **headers: str) -> web.Response:
        self.metrics.record_rejected(reason)
        self._warn.warning("refused webhook (%s): %s", status, reason)
        return web.json_response({"error": reason}, status=status, headers=headers)

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
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        signature = request.headers.get(SIGNATURE_HEADER)
        problem = verify(
            secret.get_secret_value(),
            timestamp,
            signature,
            body,
            max_age=self.config.max_age_seconds,
        )
        if problem:
            return self._refuse(401, problem)
        assert timestamp is not None and signature is not None

        async def compute() -> Answer:
            return await self._process(body, source)

        answer, replayed = await self._replays.answer(
            f"{source}\n{signature.strip()}",
            float(timestamp),
            compute,
            keep=lambda a: a.status in (200, 413, 422),
        )
        headers = {"Retry-After": "5"} if answer.status == 503 else {}
        if replayed:
            headers.update(REPLAYED)
        return web.json_response(answer.payload, status=answer.status, headers=headers)

    async def _process(self, body: bytes, source: str) -> Answer:
        if self._pending >= self.config.max_pending:
            self._refuse(503, "busy: too many requests in progress")
            return Answer(503, {"error": "busy: too many requests in progress, retry later"})
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            status, payload = await loop.run_in_executor(self._pool, self.accept, body, source)
        except (KafkaError, TimeoutError) as exc:
            self.log.error(
                "Kafka did not acknowledge a webhook from %s: %s", source, type(exc).__name__
            )
            return Answer(503, {"error": "kafka_unavailable: retry later"})
        finally:
            self._pending -= 1
        return Answer(status, payload)

    def accept(self, body: bytes, source: str) -> tuple[int, dict[str, Any]]:
        """Publish the valid events and dead-letter the rest, then wait for every ack."""
        try:
            data = json.loads(body)
        except RecursionError:
            return self._reject_whole(body, source, f"too_deep: over {MAX_NESTING} levels", 1)
        except ValueError:
            data = None
            items: list[Any] = [body]
        else:
            items = data if isinstance(data, list) else [data]
        if len(items) > self.config.max_items:
            self._refuse(413, "too_many_items: more events than max_items")
            return 413, {"error": f"too_many_items: at most {self.config.max_items} per request"}
        if too_deep(data):
            return self._reject_whole(body, source, f"too_deep: over {MAX_NESTING} levels", 1)
        verdicts = [self.evaluate(_as_input(item), source=source) for item in items]
        reasons = [reason for _, reason in verdicts]
        if items and all(reasons):
            first = reasons[0] or ""
            reason = (
                first
                if len(items) == 1
                else f"batch_invalid: all {len(items)} events rejected, first {reason_kind(first)}"
            )
            return self._reject_whole(body, source, reason, len(items), reasons)
        outcomes: list[Handled] = []
        for item, (event, reason) in zip(items, verdicts, strict=True):
            if event is not None:
                outcomes.append(Handled(event, None, self.publisher.publish(event)))
            else:
                original = item if isinstance(item, bytes) else _dump(item)
                outcomes.append(self.reject(original, reason or "", source=source))
        self._await_acks(outcomes)
        accepted = sum(1 for o in outcomes if o.event is not None)
        errors = [{"index": i, "reason": o.reason} for i, o in enumerate(outcomes) if o.reason]
        if errors:
            return 422, {"accepted": accepted, "rejected": len(errors), "errors": errors}
        return 200, {"accepted": accepted}

    def _reject_whole(
        self,
        body: bytes,
        source: str,
        reason: str,
        count: int,
        reasons: list[str | None] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """One dead letter for a body none of whose events is valid."""
        self._await_acks([self.reject(body, reason, source=source)])
        per_item = reasons or [reason] * count
        errors = [{"index": i, "reason": r} for i, r in enumerate(per_item)]
        return 422, {"accepted": 0, "rejected": count, "errors": errors}

    def _await_acks(self, outcomes: list[Handled]) -> None:
        for outcome in outcomes:
            outcome.future.get(timeout=self.config.ack_timeout)

    @classmethod
    def sample_source(cls) -> SampleSource:
        from connectors.adapters.push.sender import WebhookSampleSource

        return WebhookSampleSource()


def _as_input(item: Any) -> Any:
    return item if isinstance(item, dict | bytes) else json.dumps(item).encode("utf-8")


def _dump(item: Any) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode("utf-8")


logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

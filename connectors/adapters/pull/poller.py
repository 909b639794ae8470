"""Poll `GET <path>?updated_since=&after_id=&limit=` and publish each record once.

The feed is ordered by (change time, id), so the position after a record is that pair: the
next poll asks for what came after it, and a restart resumes from the last pair whose events
Kafka acknowledged. Re-reading a record after a crash re-sends the same `event_id`, which
downstream deduplicates; skipping one is what the ordering and checkpoint prevent.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from kafka.errors import KafkaError
from pydantic import Field, SecretStr

from cityops.timeutil import TZ, parse_local
from connectors.sdk.connector import Connector, ConnectorConfig
from connectors.sdk.publisher import PublishError

if TYPE_CHECKING:
    from connectors.sdk.testing import SampleSource

#: Format of `updated_since` in the feed's query (local time, like the records).
CURSOR_FORMAT = "%Y%m%d%H%M%S"


class PullConfig(ConnectorConfig):
    #: Base URL of the source system, e.g. `https://egov.example.gov.vn`.
    base_url: str = ""
    path: str = "/api/dossiers"
    api_token: SecretStr | None = None
    poll_interval: float = Field(10.0, gt=0, description="seconds between polls when caught up")
    page_size: int = Field(500, ge=1, le=10_000)
    #: `updated_since` of the very first poll, before any checkpoint exists.
    start_from: str = "19700101000000"
    request_timeout: float = Field(30.0, gt=0)
    backoff_initial: float = Field(1.0, gt=0)
    backoff_max: float = Field(60.0, gt=0)


class PageError(Exception):
    """The source answered, but not with a page of the agreed shape."""


def cursor_key(value: Any) -> str:
    """A record's change time as the feed's `updated_since` (local yyyyMMddHHmmss).

    A value that does not parse is kept verbatim: the source sorted by it, so echoing it
    back is the only position the source can understand; the record itself is dead-lettered.
    """
    if value is None:
        return ""
    text = str(value)
    try:
        return parse_local(text, bounded=False).astimezone(TZ).strftime(CURSOR_FORMAT)
    except ValueError:
        return text


def backoff_delay(failures: int, initial: float, cap: float) -> float:
    """Exponential backoff with full jitter, so many connectors do not retry in lockstep."""
    ceiling = min(cap, initial * 2 ** max(0, failures - 1))
    return random.uniform(ceiling / 2, ceiling)


class PullConnector(Connector):
    """A connector whose source is a change feed it polls; subclasses name the feed's fields."""

    Config: ClassVar[type[ConnectorConfig]] = PullConfig
    config: PullConfig
    #: The record field holding its change time (the feed's sort key).
    cursor_field: ClassVar[str]
    #: The record field breaking ties between records changed in the same second.
    id_field: ClassVar[str]

    def initial_position(self) -> dict[str, str]:
        return {"updated_since": cursor_key(self.config.start_from), "after_id": ""}

    def run(self) -> None:
        if not self.config.base_url:
            raise ValueError(f"{self.name}: config.base_url is not set")
        position = self.checkpoints.load() or self.initial_position()
        # Not the position itself: `after_id` is a record's id, which may be personal.
        shown = f"{self.config.base_url.rstrip('/')}{self.config.path}"
        self.log.info("polling %s from %s", shown, position["updated_since"])
        failures = 0
        self.ready.set()
        while self.running:
            try:
                items, has_more = self.fetch(position)
                position = self._publish_page(items, position)
                failures = 0
            except (OSError, PageError, PublishError, KafkaError) as exc:
                failures += 1
                delay = backoff_delay(
                    failures, self.config.backoff_initial, self.config.backoff_max
                )
                self.metrics.record_rejected(f"source_error: {exc}")
                self.log.warning("poll failed (%s); retrying in %.1fs", exc, delay)
                self.sleep(delay)
                # Whatever was sent but not committed is re-read: same event ids, no gap.
                position = self.checkpoints.load() or self.initial_position()
                continue
            if not has_more or not items:
                self.sleep(self.config.poll_interval)

    def _publish_page(self, items: list[Any], position: dict[str, str]) -> dict[str, str]:
        handled = 0
        for item in items:
            if not self.running:
                break
            if isinstance(item, dict):
                self.handle(item)
                position = {
                    "updated_since": cursor_key(item.get(self.cursor_field)),
                    "after_id": str(item.get(self.id_field) or ""),
                }
            else:
                self.handle(json.dumps(item).encode("utf-8"))
            handled += 1
        if handled:
            self.commit(position)
        return position

    def _url(self, position: dict[str, str]) -> str:
        query = urllib.parse.urlencode(
            {
                "updated_since": position["updated_since"],
                "after_id": position["after_id"],
                "limit": self.config.page_size,
            }
        )
        return f"{self.config.base_url.rstrip('/')}{self.config.path}?{query}"

    def fetch(self, position: dict[str, str]) -> tuple[list[Any], bool]:
        request = urllib.request.Request(
            self._url(position), headers={"Accept": "application/json"}
        )
        if self.config.api_token is not None:
            token = self.config.api_token.get_secret_value()
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.config.request_timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise PageError(f"HTTP {exc.code} from source") from None
        try:
            page = json.loads(body)
        except ValueError as exc:
            raise PageError(f"page is not JSON: {exc}") from None
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise PageError("page is not an object with an `items` list")
        return page["items"], bool(page.get("has_more", False))

    @classmethod
    def sample_source(cls) -> SampleSource:
        from connectors.adapters.pull.fake_feed import FeedSampleSource

        return FeedSampleSource(cls.cursor_field, cls.id_field)


def local_stamp(value: datetime) -> str:
    """A timestamp as the feed writes it (local yyyyMMddHHmmss); for tests and simulators."""
    return value.astimezone(TZ).strftime(CURSOR_FORMAT)

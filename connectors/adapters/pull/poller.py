"""Poll `GET <path>?updated_since=&after_id=&limit=` and publish each record once.

The feed is ordered by (change time, id), so the position after a record is that pair: the
next poll asks for what came after it, and a restart resumes from the last pair whose events
Kafka acknowledged. Re-reading a record after a crash re-sends the same `event_id`, which
downstream deduplicates; skipping one is what the ordering and checkpoint prevent.

Nothing a source sends stops the poller. A bad record is dead-lettered once; a bad answer
(HTTP error, truncated or non-JSON body, nesting too deep, wrong shape) is logged and
retried with backoff from the last checkpoint. The position only moves forward (see
`cursor.py`), and a page that does not move it (a source that ignores the cursor, or serves
only records without a position) is warned about, counted and backed off, never re-published
in a tight loop.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from connectors.adapters.pull.cursor import Position, cursor_key, record_position
from connectors.sdk.connector import Connector, ConnectorConfig
from connectors.sdk.limits import MAX_NESTING, too_deep
from connectors.sdk.ratelog import RateLimitedLog

if TYPE_CHECKING:
    from connectors.sdk.testing import SampleSource

#: The largest page asked for, also when a page that did not advance is asked again bigger.
MAX_PAGE_SIZE = 10_000
#: Fingerprints of position-less records kept to dead-letter each once; the oldest go first.
MAX_REMEMBERED = 100_000


class PullConfig(ConnectorConfig):
    #: Base URL of the source system, e.g. `https://egov.example.gov.vn`.
    base_url: str = ""
    path: str = "/api/dossiers"
    api_token: SecretStr | None = None
    poll_interval: float = Field(10.0, gt=0, description="seconds between polls when caught up")
    page_size: int = Field(500, ge=1, le=MAX_PAGE_SIZE)
    #: `updated_since` of the very first poll, before any checkpoint exists.
    start_from: str = "19700101000000"
    request_timeout: float = Field(30.0, gt=0)
    backoff_initial: float = Field(1.0, gt=0)
    backoff_max: float = Field(60.0, gt=0)
    #: A larger answer is a bad response (backed off), not something to hold in memory.
    max_page_bytes: int = Field(64 * 1024 * 1024, gt=0)

    @field_validator("start_from")
    @classmethod
    def _start_is_a_time(cls, value: str) -> str:
        if cursor_key(value) is None:
            raise ValueError("must be a local time, yyyyMMddHHmmss or ISO 8601")
        return value


class PageError(Exception):
    """The source answered, but not with a page of the agreed shape."""


#: The jitter's own generator: the global one belongs to whoever embeds the connector.
_JITTER = random.Random()


def backoff_delay(failures: int, initial: float, cap: float) -> float:
    """Exponential backoff with full jitter, so many connectors do not retry in lockstep."""
    ceiling = min(cap, initial * 2 ** max(0, failures - 1))
    return _JITTER.uniform(ceiling / 2, ceiling)


@dataclass
class PageOutcome:
    """What one page did to the position."""

    position: Position
    handled: int = 0
    #: Records at or before the position: already done, or the source went backwards.
    behind: int = 0


class SeenWithoutPosition:
    """Records that carry no position, already handled (the most recent `MAX_REMEMBERED`).

    Such a record does not move the position, so the source serves it again on later polls;
    remembering it means it is dead-lettered (or published) once, not once a poll.
    """

    def __init__(self, capacity: int = MAX_REMEMBERED) -> None:
        self.capacity = capacity
        self._fingerprints: OrderedDict[str, None] = OrderedDict()

    def first_time(self, record: Any) -> bool:
        fingerprint = _fingerprint(record)
        if fingerprint in self._fingerprints:
            self._fingerprints.move_to_end(fingerprint)
            return False
        self._fingerprints[fingerprint] = None
        if len(self._fingerprints) > self.capacity:
            self._fingerprints.popitem(last=False)
        return True


def _fingerprint(record: Any) -> str:
    try:
        text = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    except RecursionError:  # nested too deep to write out: all such records are one
        text = "<too deep>"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class PullConnector(Connector):
    """A connector whose source is a change feed it polls; subclasses name the feed's fields."""

    Config: ClassVar[type[ConnectorConfig]] = PullConfig
    config: PullConfig
    #: The record field holding its change time (the feed's sort key).
    cursor_field: ClassVar[str]
    #: The record field breaking ties between records changed in the same second.
    id_field: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen = SeenWithoutPosition()
        self._warn = RateLimitedLog(self.log)

    def initial_position(self) -> Position:
        since = cursor_key(self.config.start_from)
        assert since is not None, "validated by PullConfig"
        return Position(since)

    def resume_position(self) -> Position:
        return Position.from_checkpoint(self.checkpoints.load()) or self.initial_position()

    def run(self) -> None:
        if not self.config.base_url:
            raise ValueError(f"{self.name}: config.base_url is not set")
        position = self.resume_position()
        # Not the position itself: `after_id` is a record's id, which may be personal.
        shown = f"{self.config.base_url.rstrip('/')}{self.config.path}"
        self.log.info("polling %s from %s", shown, position.updated_since)
        failures = 0
        self.ready.set()
        while self.running:
            limit = min(MAX_PAGE_SIZE, self.config.page_size * 2 ** min(failures, 5))
            try:
                items, has_more = self.fetch(position, limit)
                outcome = self._publish_page(items, position)
            except Exception as exc:  # any failure of a poll is retried, never an exit
                failures += 1
                self.metrics.record_rejected(f"source_error: {type(exc).__name__}")
                delay = self._backoff(failures)
                self._warn.warning("poll failed (%s); retrying in %.1fs", _describe(exc), delay)
                self.sleep(delay)
                # Whatever was sent but not committed is re-read: same event ids, no gap.
                position = self.resume_position()
                continue
            if outcome.behind:
                self.metrics.record_source_problem("behind_cursor")
                self._warn.warning(
                    "source served %d record(s) at or before the position (%s); refused",
                    outcome.behind,
                    position.updated_since,  # not `after_id`: a record's id may be personal
                )
            if items and outcome.position == position:
                failures += 1
                self.metrics.record_source_problem("no_progress")
                delay = self._backoff(failures)
                self._warn.warning(
                    "a page of %d record(s) did not move the position (%s); backing off %.1fs",
                    len(items),
                    position.updated_since,
                    delay,
                )
                self.sleep(delay)
                continue
            failures = 0
            position = outcome.position
            if not has_more or not items:
                self.sleep(self.config.poll_interval)

    def _backoff(self, failures: int) -> float:
        return backoff_delay(failures, self.config.backoff_initial, self.config.backoff_max)

    def _publish_page(self, items: list[Any], position: Position) -> PageOutcome:
        outcome = PageOutcome(position)
        for item in items:
            if not self.running:
                break
            at = record_position(item, self.cursor_field, self.id_field)
            if at is not None and at <= outcome.position:
                outcome.behind += 1
                continue
            deep = too_deep(item)
            if at is None and not self._seen.first_time(item):
                continue
            if deep:
                self.reject(
                    b'"<not kept: nested too deep>"', f"too_deep: over {MAX_NESTING} levels"
                )
            elif isinstance(item, dict):
                self.handle(item)
            else:
                self.handle(json.dumps(item).encode("utf-8"))
            outcome.handled += 1
            if at is not None:
                outcome.position = at
        if outcome.handled:
            self.commit(outcome.position.as_checkpoint())
        return outcome

    def _url(self, position: Position, limit: int) -> str:
        query = urllib.parse.urlencode({**position.as_checkpoint(), "limit": limit})
        return f"{self.config.base_url.rstrip('/')}{self.config.path}?{query}"

    def fetch(self, position: Position, limit: int) -> tuple[list[Any], bool]:
        request = urllib.request.Request(
            self._url(position, limit), headers={"Accept": "application/json"}
        )
        if self.config.api_token is not None:
            token = self.config.api_token.get_secret_value()
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.config.request_timeout) as response:
                body = response.read(self.config.max_page_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise PageError(f"HTTP {exc.code} from source") from None
        except (http.client.HTTPException, OSError) as exc:
            raise PageError(f"transport: {type(exc).__name__}") from None
        if len(body) > self.config.max_page_bytes:
            raise PageError(f"page over {self.config.max_page_bytes} bytes")
        try:
            page = json.loads(body)
        except RecursionError:
            raise PageError("page is nested too deep to parse") from None
        except ValueError as exc:
            raise PageError(f"page is not JSON ({type(exc).__name__})") from None
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise PageError("page is not an object with an `items` list")
        has_more = page.get("has_more", False)
        if not isinstance(has_more, bool):
            raise PageError("page's `has_more` is not a boolean")
        return page["items"], has_more

    @classmethod
    def sample_source(cls) -> SampleSource:
        from connectors.adapters.pull.fake_feed import FeedSampleSource

        return FeedSampleSource(cls.cursor_field, cls.id_field)


def _describe(exc: BaseException) -> str:
    """A poll failure for the log: our own messages in full, others by type only (an
    unexpected exception's text may quote the source's data)."""
    if isinstance(exc, PageError):
        return str(exc)
    return type(exc).__name__

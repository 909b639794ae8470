"""Fuzz: pull pages from a misbehaving change feed, polled by the real pull adapter (a fake
producer stands in for Kafka).

Each case adds new records to the feed (good ones, and bad ones that still carry a
position) and scripts hostile answers before them: HTTP errors, truncated, non-JSON and
deeply nested bodies, pages of the wrong shape, pages of records without a position, and
pages of records the poller is already past. Invariants: the poller never exits; every good
record is published exactly once; every bad one, and every distinct record without a
position, is dead-lettered exactly once.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityops.settings import KafkaSettings, Settings
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.testing.fakes import FakeProducer
from connectors.testing.harness import wait_until
from tests.fuzz.cases import budget, count
from tests.fuzz.inputs import JSON_VALUES
from tests.support.hostile import BAD_DOSSIER_CHANGES

FAMILY = "pull pages"
#: Change times handed out in feed order, one second apart, so records never tie.
CLOCK = itertools.count(1)
NONCE = itertools.count()
FIRST = datetime(2025, 3, 1)
#: Before the poller's start: a page of it is always behind the position.
BEHIND = sync_record("PG-0", 2, "20250115000000")
#: Bad records that keep their place in the feed (records without one: `unpositioned`).
BAD_IN_PLACE = BAD_DOSSIER_CHANGES.filter(lambda change: "NgayCapNhat" not in change)


def stamp(second: int) -> str:
    return f"{FIRST + timedelta(seconds=second):%Y%m%d%H%M%S}"


def positioned(change: dict[str, Any] | None) -> dict[str, Any]:
    """A record after every earlier one; `change` (if any) makes it bad but keeps a position."""
    second = next(CLOCK)
    record = sync_record(f"PG-{second}", 2, stamp(second))
    record.update(change or {})
    return record


def unpositioned(value: Any) -> Any:
    """Something without a position, unique so that it must be dead-lettered once."""
    nonce = next(NONCE)
    if isinstance(value, dict):
        return {**value, "nonce": nonce, "NgayCapNhat": "never"}
    return [value, nonce]


HOSTILE_ANSWERS = st.one_of(
    st.sampled_from([500, 502, 503, 404, 401, 429]).map(lambda s: ("status", s)),
    st.just(("truncated", 0)),
    # Too deep to parse even with the raised recursion limit hypothesis runs tests under.
    st.integers(50_000, 100_000).map(lambda depth: ("deep", depth)),
    st.binary(max_size=60).map(lambda raw: ("body", raw)),
    JSON_VALUES.map(lambda value: ("shape", value)),
    st.lists(JSON_VALUES, min_size=1, max_size=4).map(lambda items: ("unpositioned", items)),
    st.just(("behind", 0)),
)


@dataclass
class Poller:
    feed: FakeFeed
    connector: DossierConnector
    producer: FakeProducer
    thread: threading.Thread

    def published(self) -> int:
        return len(self.producer.to("dossier.v1"))

    def letters(self) -> int:
        return len(self.producer.to("deadletter.v1"))


@pytest.fixture(scope="module")
def poller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Poller]:
    feed = FakeFeed()
    producer = FakeProducer()
    state = Path(tmp_path_factory.mktemp("fuzz-pull"))
    settings = Settings(kafka=KafkaSettings(namespace="fuzz"), state_dir=state)
    config = {
        "source": "egov",
        "base_url": feed.url,
        "poll_interval": 0.005,
        "page_size": 4,
        "backoff_initial": 0.001,
        "backoff_max": 0.005,
        "start_from": "20250201000000",
    }
    connector = DossierConnector(config, settings, producer=producer)
    thread = threading.Thread(target=connector.run, daemon=True)
    thread.start()
    yield Poller(feed, connector, producer, thread)
    assert thread.is_alive(), "the poller exited"
    connector.stop()
    thread.join(30)
    feed.close()


def script(feed: FakeFeed, kind: str, value: Any) -> int:
    """Queue one hostile answer; returns how many dead letters it must make."""
    if kind == "status":
        feed.fail_next(1, value, b'{"error": "x"}')
    elif kind == "truncated":
        feed.truncate_next(1)
    elif kind == "deep":
        feed.fail_next(1, 200, b'{"items": ' + b"[" * value + b"]" * value + b"}")
    elif kind == "body":
        feed.fail_next(1, 200, value)
    elif kind == "shape":
        feed.serve_next(value if not isinstance(value, dict) else {"page": value})
    elif kind == "unpositioned":
        feed.serve_next({"items": [unpositioned(v) for v in value], "has_more": False})
        return len(value)
    else:  # records the poller is already past: refused, never re-published
        feed.serve_next({"items": [BEHIND], "has_more": False})
    return 0


@budget(FAMILY)
@given(
    answers=st.lists(HOSTILE_ANSWERS, max_size=3),
    changes=st.lists(st.none() | BAD_IN_PLACE, min_size=1, max_size=6),
)
def test_every_page_is_survived_and_every_record_accounted_for(
    poller: Poller, answers: list[tuple[str, Any]], changes: list[dict[str, Any] | None]
) -> None:
    published, letters = poller.published(), poller.letters()
    expected_letters = sum(script(poller.feed, kind, value) for kind, value in answers)
    records = [positioned(change) for change in changes]
    good = sum(change is None for change in changes)
    expected_letters += len(records) - good
    poller.feed.add(records)
    count(FAMILY, len(records) + len(answers))
    wait_until(
        lambda: (
            (
                poller.published() - published >= good
                and poller.letters() - letters >= expected_letters
            )
            or not poller.thread.is_alive()
        ),
        "every record of the case handled",
        timeout=30,
    )
    assert poller.thread.is_alive(), "the poller exited"
    assert poller.published() - published == good, "every good record published once"
    assert poller.letters() - letters == expected_letters, [
        (json.loads(s.value)["reason"], json.loads(s.value)["original_text"][:80])
        for s in poller.producer.to("deadletter.v1")[-4:]
    ]
    saved = poller.connector.checkpoints.load()  # written after the sends it covers
    assert saved is None or saved["updated_since"], "a checkpoint is never empty"

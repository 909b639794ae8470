"""Replay dead letters: republish the records a worker (or its sink) set aside to the topic
they came from, once whatever rejected them is fixed (a widened time window, a repaired
table). The workers then process them like any record; the tables are idempotent, so a
record replayed twice counts once.

Only dead letters of the `worker` and `sink` stages hold a contract event in `original`;
a connector's hold the source's own input (a national-portal record, a spreadsheet row),
which is replayed by sending it through the connector again, not onto a contract topic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cityops.contract import ALERTS, SOURCE_TOPICS, TopicSpec
from cityops.db.client import SqlClient
from cityops.db.sqltext import identifier
from cityops.db.tables import DEADLETTERS
from cityops.kafka import make_producer
from cityops.settings import KafkaSettings
from streams.codec import decode

#: The stages whose `original` is a record of a contract topic.
REPLAYABLE_STAGES = ("worker", "sink")


@dataclass(frozen=True)
class Letter:
    topic: str
    original: bytes


@dataclass
class ReplayReport:
    """What a replay did; `still_invalid` are left alone (the fix did not cover them)."""

    published: Counter[str] = field(default_factory=Counter)
    still_invalid: int = 0
    not_replayable: int = 0

    def summary(self) -> str:
        per_topic = ", ".join(f"{n} to {t}" for t, n in sorted(self.published.items()))
        return (
            f"replayed {sum(self.published.values())} dead letters ({per_topic or 'none'}); "
            f"{self.still_invalid} still invalid, {self.not_replayable} not for a contract topic"
        )


def find(client: SqlClient, database: str, *, reason: str, since: datetime) -> list[Letter]:
    """Distinct (topic, original) of replayable dead letters since `since` whose reason
    contains `reason` (case-insensitive); a letter stored twice is replayed once."""
    rows = client.execute(
        f"SELECT DISTINCT assumeNotNull(topic), original "
        f"FROM {identifier(database)}.{DEADLETTERS.name} "
        "WHERE stage IN %(stages)s AND isNotNull(topic) AND at >= toDateTime(%(since)s) "
        "AND positionCaseInsensitive(reason, %(reason)s) > 0",
        {"stages": REPLAYABLE_STAGES, "since": int(since.timestamp()), "reason": reason},
        settings={"strings_as_bytes": True},  # the original is bytes, not always UTF-8
    )
    return [Letter(topic.decode(), original) for topic, original in rows]


def replay(
    letters: Iterable[Letter], kafka: KafkaSettings, *, dry_run: bool = False
) -> ReplayReport:
    """Publish each letter that now decodes to its topic, keyed as a connector would key it."""
    topics: dict[str, TopicSpec] = {
        spec.name(kafka.namespace): spec for spec in (*SOURCE_TOPICS, ALERTS)
    }
    report = ReplayReport()
    producer = None if dry_run else make_producer(kafka)
    try:
        for letter in letters:
            spec = topics.get(letter.topic)
            if spec is None:
                report.not_replayable += 1
                continue
            event = decode(spec, letter.original)
            if isinstance(event, str):
                report.still_invalid += 1
                continue
            if producer is not None:
                producer.send(letter.topic, key=event.key().encode(), value=letter.original)
            report.published[letter.topic] += 1
    finally:
        if producer is not None:
            producer.flush()
            producer.close()
    return report

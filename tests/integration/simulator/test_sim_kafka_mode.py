"""The kafka mode against the real broker: what the simulator sends is what a consumer reads."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime

from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.contract import BY_FAMILY, SOURCE_TOPICS, Envelope
from cityops.kafka import read_all
from cityops.settings import Settings
from cityops.timeutil import TZ
from connectors.simulator import generate
from connectors.simulator.pacing import Pacer
from connectors.simulator.runner import KafkaSink, run

DAY = date(2025, 3, 12)


def consumed(settings: Settings) -> dict[str, list[tuple[bytes, bytes]]]:
    """Every (key, value) of the source topics, per topic, in partition order."""
    out: dict[str, list[tuple[bytes, bytes]]] = {}
    for spec in SOURCE_TOPICS:
        topic = spec.name(settings.kafka.namespace)
        out[topic] = [(r.key, r.value) for r in read_all(settings.kafka, topic)]
    return out


def test_every_event_is_consumed_back_exactly_as_sent(settings: Settings) -> None:
    events = generate(day=DAY, hours=10, seed=21, scale=0.05, duplicates=0.05, shuffle_window=50)
    tally = run(events, KafkaSink(settings.kafka), Pacer(), namespace=settings.kafka.namespace)
    assert not tally.errors and sum(tally.acked.values()) == len(events)

    sent: dict[str, list[tuple[bytes, bytes]]] = defaultdict(list)
    for event in events:
        topic = BY_FAMILY[event.family].name(settings.kafka.namespace)
        sent[topic].append((event.key().encode(), event.to_json_bytes()))
    read = consumed(settings)
    for topic, records in sent.items():
        assert Counter(read[topic]) == Counter(records), topic
        # Kafka keeps order per key: each entity's events arrive in the order they were sent.
        assert _per_key(read[topic]) == _per_key(records), topic


def _per_key(records: list[tuple[bytes, bytes]]) -> dict[bytes, list[bytes]]:
    grouped: dict[bytes, list[bytes]] = defaultdict(list)
    for key, value in records:
        grouped[key].append(value)
    return dict(grouped)


def test_cli_publishes_and_prints_a_summary(settings: Settings) -> None:
    env = {
        "CITYOPS_KAFKA__NAMESPACE": settings.kafka.namespace,
        "CITYOPS_KAFKA__CLIENT_ID": settings.kafka.client_id,
    }
    result = CliRunner().invoke(
        app,
        ["simulate", "--day", "2025-03-12", "--at", "08:00", "--hours", "2", "--limit", "150"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "summary" in result.output
    expected: list[Envelope] = generate(
        start=datetime(2025, 3, 12, 8, 0, tzinfo=TZ),
        hours=2,
        limit=150,
        hash_key=Settings().hash_key,
    )
    read = consumed(settings)
    assert sum(len(records) for records in read.values()) == 150
    assert {value for records in read.values() for _, value in records} == {
        e.to_json_bytes() for e in expected
    }


def test_live_run_sends_the_backfill_first_without_waiting(settings: Settings) -> None:
    """`make demo`: the last day up to now goes out at once, before the paced live events."""
    env = {
        "CITYOPS_KAFKA__NAMESPACE": settings.kafka.namespace,
        "CITYOPS_KAFKA__CLIENT_ID": settings.kafka.client_id,
    }
    started = datetime.now(TZ)
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "--live", "--speedup", "6000", "--scale", "0.05", "--hours", "0.5"),
            *("--backfill-days", "1"),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "backfill events" in result.output
    times = [
        datetime.fromisoformat(json.loads(value)["occurred_at"])
        for records in consumed(settings).values()
        for _, value in records
    ]
    past = [t for t in times if t < started]
    assert past and min(past) < started.replace(hour=0, minute=0, second=0), "yesterday too"
    assert len(past) < len(times), "then the live events"

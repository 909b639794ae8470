"""The batch processors of a worker, called in-process on Kafka-like records.

The app is built as the worker builds it (`create_app`), never started: the sink records the
rows it is given, and the side outputs (alerts, dead letters, rate signals) are recorded
instead of produced. Table changelog records go the production way into the (never started)
producer's buffer, where the tests read their key and partition. The real broker and
ClickHouse are the integration tier's.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cityops.contract import AlertEvent, PortalEvent
from cityops.db.tables import (
    BUSINESS_REGISTRATION_DAILY,
    DOSSIER_EVENTS,
    DOSSIER_KPI_DAILY,
    DOSSIER_STATE,
    PORTAL_EVENTS,
)
from streams.sink import RejectedRow
from streams.topics import internal_plans
from tests.unit.streams.conftest import changelog, records, run
from tests.unit.streams.factories import dossier_event


def test_every_topic_has_a_processor(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, _ = worker
    names = {name.split(".", 1)[1] for name in ctx.processors}
    assert names == {"dossier", "payment", "portal", "alerts", "deadletters", "rates"}


def test_portal_batch_stores_good_records_and_dead_letters_bad_ones(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, seen = worker
    rating = PortalEvent.build(
        event_id="r1", occurred_at="2026-03-02T02:00:00Z", source="portal",
        kind="rating_submitted", rating=2, agency_code="SKHDT", device="mobile",
    )  # fmt: skip
    run(ctx, "portal", records(rating.to_json_bytes(), b'{"event_id": "x"}', b""))
    assert [row[0] for row in sink.rows[PORTAL_EVENTS.name]] == ["r1"]
    assert len(seen.dead_letters) == 2 and "invalid cityops.portal.v1 event" in seen.dead_letters[0]
    kinds = {s.get("kind", s["type"]) for s in seen.signals}
    assert kinds == {"satisfaction_low", "seen"}  # the rating, and its source seen


def test_dossier_batch_folds_events_into_one_state_row_per_dossier(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, seen = worker
    received = dossier_event("received", 0, due_days=3)
    resolved = dossier_event("resolved", 60, due_days=3, resolved_minutes=60)
    # Out of order and repeated: the state is the same.
    run(ctx, "dossier", records(*(e.to_json_bytes() for e in (resolved, received, resolved))))
    assert len(sink.rows[DOSSIER_EVENTS.name]) == 3  # raw rows; the table deduplicates
    (state,) = sink.rows[DOSSIER_STATE.name]
    values = dict(zip(DOSSIER_STATE.column_names, state, strict=True))
    assert values["dossier_id"] == "D-1" and values["status"] == "resolved"
    on_time = [s for s in seen.signals if s.get("kind") == "on_time_rate_low"]
    assert len(on_time) == 1 and on_time[0]["hits"] == 0  # one first resolution, not late


def test_an_open_dossier_past_its_deadline_raises_overdue_at_once(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    old = dossier_event("received", 0, due_days=1)  # due long before today
    run(ctx, "dossier", records(old.to_json_bytes()))
    assert [(a.kind.value, a.state.value, a.subject) for a in seen.alerts] == [
        ("dossier_overdue", "firing", "D-1")
    ]


def test_rate_signals_raise_a_payment_failure_spike(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    minute = int(datetime.now(UTC).timestamp() // 60)
    signal = {"type": "rate", "kind": "payment_failure_spike", "subject": "vnpay"}
    signal |= {"minute": minute, "hits": 15, "total": 30, "agency": ""}
    run(ctx, "rates", records(json.dumps(signal).encode(), b"not json"))
    assert [(a.kind.value, a.state.value, a.subject) for a in seen.alerts] == [
        ("payment_failure_spike", "firing", "vnpay")
    ]


def test_alerts_are_stored_and_bad_ones_dead_lettered(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, seen = worker
    overdue = AlertEvent.model_validate(
        {
            "event_id": "dossier_overdue:D-9:x:firing",
            "event_type": "alert.firing",
            "occurred_at": datetime.now(UTC) - timedelta(minutes=1),
            "source": "test",
            "alert_id": "dossier_overdue:D-9",
            "kind": "dossier_overdue",
            "state": "firing",
            "severity": "warning",
            "subject": "D-9",
            "opened_at": datetime.now(UTC) - timedelta(minutes=1),
            "message": "Hồ sơ quá hạn",
            "message_en": "overdue",
        }
    )
    run(ctx, "alerts", records(overdue.to_json_bytes(), b"{}"))
    assert [row[0] for row in sink.rows["alerts"]] == [overdue.event_id]
    assert len(seen.dead_letters) == 1


def test_dossier_state_is_changelogged_on_its_source_records_partition(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, _ = worker
    events = [dossier_event("received", 0, dossier_id=f"H42-{n}") for n in range(12)]
    for partition in range(6):  # whatever partitioner put each record where it is
        batch = [e.to_json_bytes() for e in events[partition::6]]
        run(ctx, "dossier", records(*batch, partition=partition))
    state_topic = "unit.cityops-streams-dossier-state-changelog"
    sent = [s for s in changelog(ctx) if s[0] == state_topic]
    where = {key: partition for _, key, partition in sent}
    # The source topic's key bytes (what connectors send), on the source record's partition.
    assert where == {e.key().encode(): n % 6 for n, e in enumerate(events)}


def test_a_timer_write_stays_on_the_partition_of_the_key(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    received = dossier_event("received", 0).model_copy(update={"due_at": soon})
    run(ctx, "dossier", records(received.to_json_bytes(), partition=4))
    changelog(ctx)
    asyncio.run(asyncio.sleep(0.3))
    asyncio.run(ctx.stateful["dossier"].on_timer())
    assert [(a.kind.value, a.state.value) for a in seen.alerts][-1] == ("dossier_overdue", "firing")
    assert [(key, partition) for _, key, partition in changelog(ctx)] == [(b"D-1", 4)]


def test_rows_the_sink_rejects_are_dead_lettered_as_the_records_they_were(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, _ = worker
    sent: list[tuple[Any, ...]] = []

    async def send(value: bytes | None, reason: str, stage: str, topic: str | None) -> None:
        sent.append((value, reason, stage, topic))

    ctx._send_dead_letter = send  # type: ignore[method-assign]
    row = ("w", "t", 0, 1, 2, 3, None)
    sink.rejected = [
        RejectedRow("payment_events", row, "sink: bad", "unit.cityops.payment.v1", b"{...}"),
        RejectedRow("deadletters", row, "sink: bad"),  # never dead-lettered again: a loop
        RejectedRow("alerts", row, "sink: other table"),  # not this flush's table
    ]
    asyncio.run(ctx.flush({"payment_events", "deadletters"}))
    assert sent == [(b"{...}", "sink: bad", "sink", "unit.cityops.payment.v1")]
    assert ctx.metrics.rows_dropped == {"deadletters": 1}
    assert [r.table for r in sink.rejected] == ["alerts"]


def test_source_rows_keep_their_record_for_the_dead_letter_path(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, _ = worker
    good = dossier_event("received", 0).to_json_bytes()
    run(ctx, "dossier", records(good, b"not json"))
    assert sink.originals[DOSSIER_EVENTS.name] == [good]


def test_dossier_kpis_follow_transitions(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, _ = worker
    run(ctx, "dossier", records(dossier_event("received", 0).to_json_bytes(), partition=2))
    moved = dossier_event("in_progress", 5, agency="STP")
    run(ctx, "dossier", records(moved.to_json_bytes(), partition=2))
    columns = DOSSIER_KPI_DAILY.column_names
    rows = [dict(zip(columns, r, strict=True)) for r in sink.rows[DOSSIER_KPI_DAILY.name]]
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # what ReplacingMergeTree keeps: the highest version per cell and dossier
        if (
            row["agency_code"] not in latest
            or latest[row["agency_code"]]["version"] <= row["version"]
        ):
            latest[row["agency_code"]] = row
    received = {agency: row["received"] for agency, row in latest.items()}
    assert received == {"SKHDT": 0, "STP": 1}  # the agency change moved the dossier


def test_business_registrations_follow_transitions(worker) -> None:  # type: ignore[no-untyped-def]
    """Through the processor: listed when resolved, and the agency change leaves the cell;
    the flag that says so survives in the stored state."""
    ctx, sink, _ = worker
    for event in (
        dossier_event("received", 0),
        dossier_event("resolved", 30),
        dossier_event("returned", 40, agency="STP"),
    ):
        run(ctx, "dossier", records(event.to_json_bytes(), partition=2))
    columns = BUSINESS_REGISTRATION_DAILY.column_names
    rows = [dict(zip(columns, r, strict=True)) for r in sink.rows[BUSINESS_REGISTRATION_DAILY.name]]
    latest = {r["agency_code"]: r for r in rows if r["version"] == 3}
    assert {agency: row["present"] for agency, row in latest.items()} == {"SKHDT": 0, "STP": 1}
    assert latest["STP"]["status"] == "returned"


def test_every_table_is_co_partitioned_with_its_input_and_declared_before_start(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, _ = worker
    declared = {plan.name: plan for plan in internal_plans(ctx)}
    for processor in ctx.stateful.values():
        (source,) = processor.topic.topics
        source_partitions = processor.topic.partitions
        for table in processor.tables:
            changelog_topic = table.table.changelog_topic.get_topic_name()
            # The worker creates it before its consumer starts, partitioned like its input.
            assert declared[changelog_topic].partitions == source_partitions, source
            assert declared[changelog_topic].configs["cleanup.policy"] == "compact"


def test_state_left_in_an_older_changelog_format_is_ignored_not_fatal(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, sink, _ = worker
    states = ctx.stateful["dossier"].states
    states.table.data[b'"D-1"'] = {"dossier_id": "D-1", "status": "received"}  # JSON key, bare
    run(ctx, "dossier", records(dossier_event("received", 0).to_json_bytes()))
    assert [key for key, _ in states.items()] == ["D-1"]
    assert len(sink.rows[DOSSIER_STATE.name]) == 1

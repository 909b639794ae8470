"""The whole middle of the pipeline against the real broker and ClickHouse: simulated
events in, read-API figures out, equal to a batch recomputation from the raw tables."""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime, timedelta

from cityops.contract import DossierEvent, DossierStatus
from cityops.db.reconcile import reconcile
from cityops.db.reconcile_alerts import reconcile_alerts
from cityops.db.tables import DEADLETTERS, V_ALERTS, V_DOSSIER_DAILY, V_DOSSIER_OPEN, qualified
from cityops.kafka import make_producer
from connectors.simulator import generate
from tests.support.feeding import expected_counts, missing, publish, settled, stored_counts
from tests.support.multiworker import assert_exact
from tests.support.pipeline import wait_until

DAY = date(2026, 3, 3)  # a Tuesday


def test_duplicated_shuffled_day_reconciles(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    events = generate(day=DAY, hours=24, scale=0.05, seed=11, duplicates=0.1, shuffle_window=40)
    database = pipeline_settings.clickhouse.database
    publish(pipeline_settings, events)
    worker = start_worker()
    wait_until(
        lambda: settled(ch, database, events),
        timeout=180,
        every=1,
        describe=lambda: missing(ch, database, events),
    )

    assert reconcile(ch, database) == [], worker.log_tail()
    # A shuffled backfill leaves no false overdue alert, and misses none.
    wait_until(
        lambda: not reconcile_alerts(ch, database),
        timeout=60,
        describe=lambda: str(reconcile_alerts(ch, database)[:5]),
    )
    received = {
        e.dossier_id for e in events if isinstance(e, DossierEvent) and e.status == "received"
    }
    total = ch.execute(f"SELECT sum(received) FROM {qualified(V_DOSSIER_DAILY, database)}")[0][0]
    assert total == len(received)


def test_worker_killed_mid_stream_counts_nothing_twice(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    events = generate(day=DAY, hours=24, scale=0.05, seed=12)
    database = pipeline_settings.clickhouse.database
    half = len(events) // 2
    publish(pipeline_settings, events[:half])
    first = start_worker()
    wait_until(lambda: stored_counts(ch, database)["dossier_events"] > 0, timeout=90)
    first.kill()
    publish(pipeline_settings, events[half:] + events[: half // 2])  # the rest, plus replays
    assert_exact(ch, database, events, [start_worker()])


def test_overdue_alert_fires_then_resolves(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    database = pipeline_settings.clickhouse.database
    worker = start_worker()
    template = next(
        e
        for e in generate(day=DAY, hours=24, scale=0.02, seed=3)
        if isinstance(e, DossierEvent) and e.status == "received"
    )
    now = datetime.now(UTC)
    received = template.model_copy(
        update={
            "event_id": "overdue-test-received",
            "dossier_id": "OVERDUE-1",
            "occurred_at": now,
            "received_at": now,
            "due_at": now + timedelta(seconds=5),
        }
    )
    publish(pipeline_settings, [received])

    def alert_state() -> str | None:
        rows = ch.execute(
            f"SELECT state FROM {qualified(V_ALERTS, database)} "
            "WHERE alert_id = 'dossier_overdue:OVERDUE-1'"
        )
        return rows[0][0] if rows else None

    # The deadline passes with no event arriving: the timer alone must raise it.
    wait_until(lambda: alert_state() == "firing", timeout=60)
    # The view compares with ClickHouse's clock at whole seconds: allow it to tick over.
    wait_until(
        lambda: (
            ch.execute(
                f"SELECT is_overdue FROM {qualified(V_DOSSIER_OPEN, database)} "
                "WHERE dossier_id = 'OVERDUE-1'"
            )
            == [(1,)]
        ),
        timeout=10,
    )

    resolved = received.model_copy(
        update={
            "event_id": "overdue-test-resolved",
            "status": DossierStatus.RESOLVED,
            "event_type": "dossier.resolved",
            "occurred_at": datetime.now(UTC),
            "resolved_at": datetime.now(UTC),
        }
    )
    publish(pipeline_settings, [resolved])
    wait_until(lambda: alert_state() == "resolved", timeout=60)
    assert worker.process is not None and worker.process.poll() is None


def test_bad_record_is_dead_lettered_and_the_stream_goes_on(
    pipeline_settings, start_worker, ch
) -> None:  # type: ignore[no-untyped-def]
    from cityops.contract import DOSSIER

    database = pipeline_settings.clickhouse.database
    good = generate(day=DAY, hours=24, scale=0.02, seed=4)[:20]
    producer = make_producer(pipeline_settings.kafka)
    producer.send(DOSSIER.name(pipeline_settings.kafka.namespace), key=b"x", value=b"{not json")
    producer.flush()
    producer.close()
    publish(pipeline_settings, good)
    worker = start_worker()
    wait_until(lambda: stored_counts(ch, database) == expected_counts(good) or None, timeout=120)
    rows = wait_until(
        lambda: ch.execute(f"SELECT reason, original FROM {database}.{DEADLETTERS.name}"),
        timeout=60,
    )
    assert any("invalid" in reason and original == "{not json" for reason, original in rows)
    assert worker.stop(signal.SIGTERM) == 0

"""The demo's backfill: the last days up to now, resolved dossiers included, no shared ids."""

from __future__ import annotations

from datetime import datetime, timedelta

from cityops.timeutil import TZ
from connectors.simulator.backfill import backfill_events
from connectors.simulator.generator import generate

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=TZ)  # a Monday afternoon


def test_backfill_covers_the_last_working_days_until_now_with_resolutions() -> None:
    events = backfill_events(days=2, now=NOW, seed=1, scale=0.05)
    assert events and max(e.occurred_at for e in events) <= NOW
    days = {e.occurred_at.astimezone(TZ).date() for e in events}
    # Monday back two working days: Thursday and Friday, and the weekend between.
    thursday = NOW.date() - timedelta(days=4)
    assert NOW.date() in days and min(days) == thursday
    types = {e.event_type for e in events}
    assert {"dossier.received", "dossier.resolved", "payment.succeeded"} <= types
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)


def test_backfill_and_live_run_never_share_a_dossier() -> None:
    past = backfill_events(days=1, now=NOW, seed=1, scale=0.05)
    live = generate(live=True, now=NOW, seed=1, scale=0.05, hours=2)

    def dossiers(events: list) -> set[str]:  # type: ignore[type-arg]
        return {e.dossier_id for e in events if e.event_type.startswith("dossier.")}

    assert dossiers(past) and dossiers(live)
    assert not dossiers(past) & dossiers(live)


def test_no_days_no_backfill() -> None:
    assert backfill_events(days=0, now=NOW, seed=1, scale=1.0) == []

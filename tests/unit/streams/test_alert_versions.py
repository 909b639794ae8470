"""Deadline alerts converge like the figures: whatever order the events arrive in, the last
change the worker made wins, a resolution never precedes its opening, and alerts raised
while catching up on a backlog are marked so they do not page."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from tests.unit.streams.conftest import records, run
from tests.unit.streams.factories import BASE, dossier_event


def _changes(seen):  # type: ignore[no-untyped-def]
    return [(a.kind.value, a.state.value, a.version, a.backlog) for a in seen.alerts]


def test_a_resolution_learnt_after_the_deadline_resolves_the_overdue_alert(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    received = dossier_event("received", 0, due_days=1)  # due long ago
    resolved = dossier_event("resolved", 60, due_days=1, resolved_minutes=60)  # before due
    run(ctx, "dossier", records(received.to_json_bytes()))
    run(ctx, "dossier", records(resolved.to_json_bytes()))
    overdue = [a for a in seen.alerts if a.kind.value == "dossier_overdue"]
    assert [a.state.value for a in overdue] == ["firing", "resolved"]
    firing, resolution = overdue
    # Event times say the resolution came first; the versions say what the worker did last.
    assert resolution.version is not None and firing.version is not None
    assert resolution.version > firing.version
    assert resolution.resolved_at is not None and resolution.resolved_at >= resolution.opened_at


def test_versions_grow_even_when_the_clock_does_not(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    proc = ctx.stateful["dossier"]
    received = dossier_event("received", 0, due_days=1)
    run(ctx, "dossier", records(received.to_json_bytes()))
    state = proc.load("D-1")
    future = state.published["dossier_overdue"].version + 10_000_000  # a clock ahead of ours
    state.published["dossier_overdue"].version = future

    async def write() -> None:  # a changelog write needs a running loop, as in the worker
        proc.states.put("D-1", state.to_dict(), 0)

    asyncio.run(write())
    run(ctx, "dossier", records(dossier_event("resolved", 5, due_days=1).to_json_bytes()))
    assert seen.alerts[-1].state.value == "resolved" and seen.alerts[-1].version == future + 1


def test_alerts_raised_while_catching_up_do_not_page_until_caught_up(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    an_hour_ago = time.time() - 3600
    old = dossier_event("received", 0, due_days=1)
    run(ctx, "dossier", records(old.to_json_bytes(), timestamp=an_hour_ago))
    assert _changes(seen)[-1][:2] == ("dossier_overdue", "firing") and seen.alerts[-1].backlog
    fresh = dossier_event("received", 0, dossier_id="D-2", due_days=30)
    fresh = fresh.model_copy(update={"due_at": BASE + timedelta(days=3650)})
    run(ctx, "dossier", records(fresh.to_json_bytes(), timestamp=time.time()))
    paged = [a for a in seen.alerts if a.subject == "D-1" and not a.backlog]
    # Caught up: the overdue alert still true is published again, now to page.
    assert [(a.kind.value, a.state.value) for a in paged] == [("dossier_overdue", "firing")]
    first = next(a for a in seen.alerts if a.subject == "D-1" and a.kind.value == "dossier_overdue")
    assert paged[0].version is not None and first.version is not None
    assert paged[0].version > first.version and paged[0].opened_at == first.opened_at


def _rate_signal(minute: int, hits: int, total: int) -> bytes:
    signal = {"type": "rate", "kind": "payment_failure_spike", "subject": "vnpay"}
    return json.dumps(signal | {"minute": minute, "hits": hits, "total": total}).encode()


def test_a_rate_alert_about_the_past_pages_only_once_live_minutes_confirm_it(worker) -> None:  # type: ignore[no-untyped-def]
    ctx, _, seen = worker
    now_minute = int(time.time() // 60)
    run(ctx, "rates", records(_rate_signal(now_minute - 60, 15, 30)))  # an hour ago
    run(ctx, "rates", records(_rate_signal(now_minute, 10, 20)))  # now, still failing
    changes = [(a.state.value, a.backlog) for a in seen.alerts]
    assert changes == [("firing", True), ("firing", False)]
    past, live = seen.alerts
    assert live.opened_at == past.opened_at and live.version > past.version  # type: ignore[operator]

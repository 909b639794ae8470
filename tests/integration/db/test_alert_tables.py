"""`v_alerts` on `alerts_live` + `alerts_resolved`: the same rows before and after a
compaction empties `alerts_live` of old resolved alerts, and an opening that fires again
after its resolution was compacted away shows firing, once; `v_alerts_live`, which the
firing panels read, has the same firing rows all along."""

from __future__ import annotations

import time
from typing import Any

from cityops.contract import AlertEvent
from cityops.db.alert_tables import compact_alerts
from cityops.db.client import make_client
from cityops.db.migrate import migrate
from cityops.db.tables import ALERTS, ALERTS_LIVE, V_ALERTS, V_ALERTS_LIVE, qualified
from streams.sink.rows import alert_row

OPENED = "2025-03-05T05:00:00Z"


def _alert(alert_id: str, state: str, at: str, version: int, **extra: Any) -> AlertEvent:
    return AlertEvent.build(
        event_id=f"{alert_id}:{state}:{version}", event_type=f"alert.{state}", occurred_at=at,
        source="alerts-worker", alert_id=f"dossier_overdue:{alert_id}", kind="dossier_overdue",
        severity="warning", state=state, subject=alert_id, agency_code="SKHDT",
        message="quá hạn", opened_at=OPENED, version=version, **extra,
    )  # fmt: skip


def _view(client: Any, database: str) -> list[tuple[Any, ...]]:
    return sorted(client.execute(f"SELECT * FROM {qualified(V_ALERTS, database)}"), key=repr)


def _firing(client: Any, database: str, view: str) -> list[tuple[Any, ...]]:
    return sorted(
        client.execute(f"SELECT * FROM {qualified(view, database)} WHERE state = 'firing'"),
        key=repr,
    )


def _assert_live_view_fires(client: Any, database: str, *subjects: str) -> None:
    """The panels' `v_alerts_live`: the firing rows of `v_alerts`, also before a merge (a
    filter applied before FINAL would see D1's firing row in its own part)."""
    firing = _firing(client, database, V_ALERTS_LIVE)
    assert [r[0] for r in firing] == [f"dossier_overdue:{s}" for s in subjects]
    assert firing == _firing(client, database, V_ALERTS)


def _live(client: Any, database: str) -> list[tuple[Any, ...]]:
    return client.execute(
        f"SELECT subject, state FROM {qualified(ALERTS_LIVE.name, database)} ORDER BY subject"
    )


def test_compaction_changes_no_row_and_a_refire_shows_once(settings: Any) -> None:
    client = make_client(settings.clickhouse, migrator=True)
    database = settings.clickhouse.database
    try:
        migrate(client, database)
        insert = ALERTS.insert_sql(database)
        resolved = {"resolved_at": "2025-03-05T07:00:00Z"}
        # Each in its own part, as the workers' flushes write them; versions are epoch ms of
        # the worker's clock: these are long past, so compaction may drop the resolved one.
        for event in (
            _alert("D1", "firing", OPENED, 1),
            _alert("D1", "resolved", "2025-03-05T07:00:00Z", 2, **resolved),
            _alert("D2", "firing", OPENED, 1),
        ):
            client.execute(insert, [alert_row(event)])
        before = _view(client, database)
        _assert_live_view_fires(client, database, "D2")
        assert [(r[0], r[3]) for r in before] == [
            ("dossier_overdue:D1", "resolved"),
            ("dossier_overdue:D2", "firing"),
        ]
        compact_alerts(client, database)
        deadline = time.monotonic() + 30  # mutations run in the background
        while _live(client, database) != [("D2", "firing")] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _live(client, database) == [("D2", "firing")]
        assert _view(client, database) == before
        _assert_live_view_fires(client, database, "D2")

        # D1's due date is restored by a later event: the same opening fires again.
        client.execute(insert, [alert_row(_alert("D1", "firing", "2025-03-05T09:00:00Z", 3))])
        rows = [(r[0], r[3]) for r in _view(client, database)]
        assert rows == [("dossier_overdue:D1", "firing"), ("dossier_overdue:D2", "firing")]
        _assert_live_view_fires(client, database, "D1", "D2")
    finally:
        client.disconnect()

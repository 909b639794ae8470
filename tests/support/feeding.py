"""Feeding simulated events into the real broker, and waiting for them in ClickHouse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cityops.contract import DossierEvent, Envelope, PaymentEvent, PortalEvent
from cityops.db.tables import DOSSIER_EVENTS, DOSSIER_STATE, PAYMENT_EVENTS, PORTAL_EVENTS
from cityops.settings import Settings
from connectors.sdk.publisher import Publisher


def publish(settings: Settings, events: Sequence[Envelope], source: str = "sim") -> None:
    publisher = Publisher(settings.kafka, source=source)
    try:
        for event in events:
            publisher.publish(event)
        publisher.flush(60)
    finally:
        publisher.close()


def expected_counts(events: Sequence[Envelope]) -> dict[str, int]:
    """What ClickHouse must hold once every event is in: distinct ids, distinct dossiers."""
    ids: dict[type, set[str]] = {DossierEvent: set(), PaymentEvent: set(), PortalEvent: set()}
    dossiers = set()
    for event in events:
        ids[type(event)].add(event.event_id)
        if isinstance(event, DossierEvent):
            dossiers.add(event.dossier_id)
    return {
        DOSSIER_EVENTS.name: len(ids[DossierEvent]),
        PAYMENT_EVENTS.name: len(ids[PaymentEvent]),
        PORTAL_EVENTS.name: len(ids[PortalEvent]),
        DOSSIER_STATE.name: len(dossiers),
    }


def stored_counts(client: Any, database: str) -> dict[str, int]:
    counts = {}
    for table in (DOSSIER_EVENTS, PAYMENT_EVENTS, PORTAL_EVENTS):
        counts[table.name] = client.execute(
            f"SELECT uniqExact(event_id) FROM {database}.{table.name}"
        )[0][0]
    counts[DOSSIER_STATE.name] = client.execute(
        f"SELECT uniqExact(dossier_id) FROM {database}.{DOSSIER_STATE.name}"
    )[0][0]
    return counts


def state_complete(client: Any, database: str, versions: dict[str, int]) -> bool:
    """Every dossier's state row has reached the version that includes all its events."""
    rows = client.execute(
        f"SELECT dossier_id, max(version) FROM {database}.{DOSSIER_STATE.name} GROUP BY dossier_id"
    )
    have = dict(rows)
    return all(have.get(d, 0) >= v for d, v in versions.items())


def dossier_versions(events: Sequence[Envelope]) -> dict[str, int]:
    per: dict[str, set[str]] = {}
    for event in events:
        if isinstance(event, DossierEvent):
            per.setdefault(event.dossier_id, set()).add(event.event_id)
    return {d: len(ids) for d, ids in per.items()}


def settled(client: Any, database: str, events: Sequence[Envelope]) -> bool:
    """Every event is stored and every dossier's state row includes all its events."""
    return stored_counts(client, database) == expected_counts(events) and state_complete(
        client, database, dossier_versions(events)
    )


def missing(client: Any, database: str, events: Sequence[Envelope]) -> str:
    """What `settled` still waits for, for the failure message."""
    expected, stored = expected_counts(events), stored_counts(client, database)
    have = dict(
        client.execute(
            f"SELECT dossier_id, max(version) FROM {database}.{DOSSIER_STATE.name} "
            "GROUP BY dossier_id"
        )
    )
    behind = {
        d: (v, have.get(d)) for d, v in dossier_versions(events).items() if have.get(d, 0) < v
    }
    return f"expected {expected}, stored {stored}, {len(behind)} states behind: " + str(
        list(behind.items())[:5]
    )

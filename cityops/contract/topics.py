"""Kafka topics of contract v1: the only place their names are written.

A deployment may set a namespace (tests do, to start from clean topics); it prefixes every
name, so `cityops.dossier.v1` becomes `<ns>.cityops.dossier.v1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.contract.events import (
    AlertEvent,
    DossierEvent,
    Envelope,
    PaymentEvent,
    PortalEvent,
)


@dataclass(frozen=True)
class TopicSpec:
    """A topic's contract: its base name, the model of its values and its partition count."""

    base: str
    model: type[Envelope] | None
    #: None: the deployment's `kafka.partitions` (keyed topics that scale out with workers);
    #: a number where the count is part of the design.
    partitions: int | None = None
    #: Compacted topics keep the latest value per key (alerts: the latest state wins).
    compacted: bool = False

    def name(self, namespace: str = "") -> str:
        return f"{namespace}.{self.base}" if namespace else self.base

    def partition_count(self, default: int) -> int:
        """Its partitions, given the deployment's `kafka.partitions`."""
        return self.partitions if self.partitions is not None else default


DOSSIER = TopicSpec("cityops.dossier.v1", DossierEvent)
PAYMENT = TopicSpec("cityops.payment.v1", PaymentEvent)
PORTAL = TopicSpec("cityops.portal.v1", PortalEvent)
DEADLETTER = TopicSpec("cityops.deadletter.v1", None, partitions=1)
ALERTS = TopicSpec("cityops.alerts.v1", AlertEvent, partitions=3)

#: Topics that carry source events (what connectors publish and workers consume).
SOURCE_TOPICS: tuple[TopicSpec, ...] = (DOSSIER, PAYMENT, PORTAL)
ALL_TOPICS: tuple[TopicSpec, ...] = (*SOURCE_TOPICS, DEADLETTER, ALERTS)

#: Event family (the prefix of `event_type`) to its topic.
BY_FAMILY: dict[str, TopicSpec] = {
    spec.model.family: spec for spec in ALL_TOPICS if spec.model is not None
}

"""Contract v1: event models, vocabularies and topics. Import from here."""

from cityops.contract.enums import *  # noqa: F403
from cityops.contract.events import (
    SCHEMA_VERSION,
    AlertEvent,
    DeadLetter,
    DossierEvent,
    Envelope,
    PaymentEvent,
    PortalEvent,
    format_timestamp,
)
from cityops.contract.topics import (
    ALERTS,
    ALL_TOPICS,
    BY_FAMILY,
    DEADLETTER,
    DOSSIER,
    PAYMENT,
    PORTAL,
    SOURCE_TOPICS,
    TopicSpec,
)

__all__ = [
    "ALERTS",
    "ALL_TOPICS",
    "BY_FAMILY",
    "DEADLETTER",
    "DOSSIER",
    "PAYMENT",
    "PORTAL",
    "SCHEMA_VERSION",
    "SOURCE_TOPICS",
    "AlertEvent",
    "DeadLetter",
    "DossierEvent",
    "Envelope",
    "PaymentEvent",
    "PortalEvent",
    "TopicSpec",
    "format_timestamp",
]

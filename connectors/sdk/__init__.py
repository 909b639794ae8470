"""The connector SDK: what every connector shares (publisher, base class, checkpoints)."""

from connectors.sdk.checkpoint import CheckpointStore
from connectors.sdk.connector import (
    Connector,
    ConnectorConfig,
    Handled,
    Rejected,
    Samples,
)
from connectors.sdk.metrics import ConnectorMetrics
from connectors.sdk.publisher import Publisher, PublishError
from connectors.sdk.registry import all_connectors, get

__all__ = [
    "CheckpointStore",
    "Connector",
    "ConnectorConfig",
    "ConnectorMetrics",
    "Handled",
    "PublishError",
    "Publisher",
    "Rejected",
    "Samples",
    "all_connectors",
    "get",
]

"""Pull adapter: poll a source's REST change feed incrementally, resuming from a checkpoint."""

from connectors.adapters.pull.cursor import Position, cursor_key
from connectors.adapters.pull.poller import PullConfig, PullConnector

__all__ = ["Position", "PullConfig", "PullConnector", "cursor_key"]

"""Pull adapter: poll a source's REST change feed incrementally, resuming from a checkpoint."""

from connectors.adapters.pull.poller import PullConfig, PullConnector, cursor_key

__all__ = ["PullConfig", "PullConnector", "cursor_key"]

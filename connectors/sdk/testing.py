"""The hook through which the contract suite drives a connector's real adapter.

An adapter provides a `SampleSource`: a local stand-in for the source (a fake REST API, a
webhook sender) so the suite exercises the same code path as production, against the real
Kafka broker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from connectors.sdk.connector import Connector


class SampleSource(Protocol):
    def config(self, source: str, secret: str) -> dict[str, Any]:
        """Connector config values pointing at this stand-in; `secret` must be used in it."""
        ...

    def deliver(self, connector: Connector, records: list[bytes]) -> None:
        """Make the source emit these records to a running connector (returns once sent)."""
        ...

    def close(self) -> None: ...

"""The portal connector: the public-service portal posts its activity as contract JSON."""

from __future__ import annotations

from cityops.contract import PORTAL
from connectors.adapters.push import PushConnector
from connectors.sdk.connector import Samples
from connectors.testing.samples import contract_samples


class PortalConnector(PushConnector):
    name = "portal"
    description = (
        "Signed portal webhooks (sessions, submissions, ratings) or a file -> portal events"
    )
    topic = PORTAL

    @classmethod
    def sample_input(cls, source: str) -> Samples:
        return contract_samples("portal", source)

"""The payment connector: payment platforms post contract JSON; it lands on the payment topic."""

from __future__ import annotations

from cityops.contract import PAYMENT
from connectors.adapters.push import PushConnector
from connectors.sdk.connector import Samples
from connectors.testing.samples import contract_samples


class PaymentConnector(PushConnector):
    name = "payment"
    description = "Signed payment webhooks (PayGov, banks, wallets) or a file -> payment events"
    topic = PAYMENT

    @classmethod
    def sample_input(cls, source: str) -> Samples:
        return contract_samples("payment", source)

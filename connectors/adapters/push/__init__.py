"""Push adapter: a signed-webhook receiver (aiohttp) that answers only after Kafka acked."""

from connectors.adapters.push.receiver import PushConfig, PushConnector
from connectors.adapters.push.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "PushConfig", "PushConnector", "sign", "verify"]

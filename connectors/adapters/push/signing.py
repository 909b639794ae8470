"""Webhook signatures (contract: "signed webhooks"), shared by the receiver and senders.

The signature covers the timestamp, so a captured request cannot be replayed after the
tolerance window, and the raw body, so nothing can be altered in between.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Cityops-Timestamp"
SIGNATURE_HEADER = "X-Cityops-Signature"
#: Older (or further in the future) timestamps are refused as replays.
MAX_AGE_SECONDS = 300
#: Shortest secret accepted: HMAC-SHA256 keys shorter than its 32-byte output are guessable.
MIN_SECRET_BYTES = 32


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp + "." + raw body`."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a request a sender posts (the simulator and tests use this)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
    max_age: int = MAX_AGE_SECONDS,
) -> str | None:
    """None when the request is authentic and fresh, else the reason to refuse it (401)."""
    if not timestamp or not signature:
        return "missing_signature: timestamp or signature header absent"
    try:
        ts = int(timestamp)
    except ValueError:
        return "bad_timestamp: not Unix seconds"
    expected = sign(secret, ts, body)
    if not hmac.compare_digest(
        expected.encode("ascii"), signature.strip().encode("ascii", "replace")
    ):
        return "bad_signature: signature does not match"
    current = time.time() if now is None else now
    if abs(current - ts) > max_age:
        return f"replay: timestamp is more than {max_age}s away from now"
    return None

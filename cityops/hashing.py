"""Keyed hashing of personal identifiers: a raw citizen or business id never reaches Kafka.

HMAC-SHA256 with a deployment secret, so the same person maps to the same `applicant_ref`
across sources (joins still work) while the id cannot be recovered by hashing guesses.
"""

import hashlib
import hmac

from pydantic import SecretStr


def applicant_ref(raw_id: str, key: SecretStr) -> str:
    normalised = "".join(raw_id.split()).upper()
    digest = hmac.new(
        key.get_secret_value().encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256
    )
    return digest.hexdigest()[:40]

"""The privacy rules, in one place: what is hashed, what is masked, what a dead letter keeps.

`identity` normalizes and hashes applicants' ids, `scan` finds and masks ids, phones,
e-mails and names in text, `redact` applies both to events and rejected input. The connector
SDK and the workers call these for every connector and every record (docs/operations.md,
"What is hashed and how").
"""

from cityops.privacy.identity import applicant_ref, keyed_hash, normalize_identity
from cityops.privacy.redact import (
    CONTRACT_FIELDS,
    HASHED_FIELDS,
    TOPIC_FIELDS,
    hashed,
    mask_event,
    redact_document,
    redact_value,
    safe_reason,
)
from cityops.privacy.scan import has_personal_data, mask_text

__all__ = [
    "CONTRACT_FIELDS",
    "HASHED_FIELDS",
    "TOPIC_FIELDS",
    "applicant_ref",
    "has_personal_data",
    "hashed",
    "keyed_hash",
    "mask_event",
    "mask_text",
    "normalize_identity",
    "redact_document",
    "redact_value",
    "safe_reason",
]

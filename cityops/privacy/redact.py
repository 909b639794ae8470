"""What a connector or a worker may keep of input it publishes or rejects.

Redaction by default: a dead letter keeps the original's shape, but only the fields the
contract knows to be non-personal keep their values (masked by `scan.mask_text`); every other
value, at any depth, becomes `hmac:` + its keyed hash. A new source field is therefore
private until someone declares it public, not public until someone remembers it is personal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import SecretStr

from cityops.contract import AlertEvent, DossierEvent, Envelope, PaymentEvent, PortalEvent
from cityops.privacy.identity import applicant_ref, keyed_hash
from cityops.privacy.scan import mask_text, might_be_personal

#: Fields that already hold a keyed hash: never scanned (hex is not an id) nor kept from input.
HASHED_FIELDS = frozenset({"applicant_ref"})
#: Every field of the contract's events except the hashed ones: the non-personal fields a
#: dead letter may keep (masked) for whoever fixes and replays it.
CONTRACT_FIELDS = (
    frozenset(
        name
        for model in (DossierEvent, PaymentEvent, PortalEvent, AlertEvent)
        for name in model.model_fields
    )
    - HASHED_FIELDS
)
#: What a record read from a contract topic may keep: there `applicant_ref` is already a hash
#: (hashing it again would break the replay of a worker's or the sink's dead letter).
TOPIC_FIELDS = CONTRACT_FIELDS | HASHED_FIELDS
#: A number this long in a kept field may be an id typed as a number: it is hashed.
MAX_KEPT_DIGITS = 8

E = TypeVar("E", bound=Envelope)


def hashed(value: Any, key: SecretStr) -> str:
    """The form a personal (or unknown) value takes in a dead letter: joinable with
    `applicant_ref` when the value is an applicant's id."""
    return "hmac:" + applicant_ref(value if isinstance(value, int | float) else str(value), key)


def _keep(value: Any, key: SecretStr) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        digits = len(str(abs(int(value)))) if value == value and abs(value) != float("inf") else 0
        return value if digits <= MAX_KEPT_DIGITS else hashed(value, key)
    return mask_text(str(value), key)


def _redact(value: Any, public: frozenset[str], key: SecretStr, kept: bool) -> Any:
    if isinstance(value, dict):
        return {
            (k if k in public else mask_text(str(k), key)): _redact(
                v, public, key, kept and k in public
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, public, key, kept) for item in value]
    if kept:
        return _keep(value, key)
    return value if value is None or isinstance(value, bool) else hashed(value, key)


def redact_value(data: Any, public: Iterable[str], key: SecretStr) -> Any:
    """`data` (parsed JSON) with values outside `public` fields hashed, the rest masked.

    Objects and arrays keep their shape at any depth; a value is kept only when every key on
    its path is public. A bare value (not inside an object) is hashed.
    """
    fields = frozenset(public)
    if isinstance(data, dict | list):
        return _redact(data, fields, key, kept=True)
    return _redact(data, fields, key, kept=False)


#: A JSON string literal, possibly cut short; and a bare run of digits.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')
_DIGITS = re.compile(r"\d{6,}")


def _redact_text(text: str, public: frozenset[str], key: SecretStr) -> str:
    """Input that is not JSON: every quoted string but a public field name is hashed, every
    long number too, and what is left is masked."""

    def string(match: re.Match[str]) -> str:
        content = match.group(0).strip('"')
        return match.group(0) if content in public else f'"hmac:{keyed_hash(content, key)}"'

    text = _STRING.sub(string, text)
    text = _DIGITS.sub(lambda m: f"hmac:{keyed_hash(m.group(0), key)}", text)
    return mask_text(text, key)


def redact_document(original: bytes, public: Iterable[str], key: SecretStr) -> bytes:
    """Rejected input as a dead letter may keep it (see the module's docstring)."""
    fields = frozenset(public)
    try:
        redacted = redact_value(json.loads(original), fields, key)
        return json.dumps(redacted, ensure_ascii=False, default=str).encode("utf-8")
    except (UnicodeDecodeError, ValueError, RecursionError):  # not JSON, or nested too deep
        text = original.decode("utf-8", errors="replace")
        return _redact_text(text, fields, key).encode("utf-8")


def mask_event(event: E, key: SecretStr) -> E:
    """The event with personal data in any of its text fields masked (ids included, so the
    Kafka key, which is one of them, is masked too); the same event when there is none.

    Raises pydantic's ValidationError when masking breaks a field's bounds (a token is longer
    than the id it replaces): the caller dead-letters the input like any invalid event.
    """
    texts = {
        name: value
        for name, value in vars(event).items()
        if type(value) is str and name not in HASHED_FIELDS  # not enums: closed vocabularies
    }
    if not might_be_personal("\n".join(texts.values())):
        return event
    updates = {}
    for name, value in texts.items():
        masked = mask_text(value, key)
        if masked != value:
            updates[name] = masked
    if not updates:
        return event
    return type(event).model_validate({**event.model_dump(), **updates})


def safe_reason(reason: str, key: SecretStr) -> str:
    """A rejection reason with anything personal masked: the last guard for reasons built
    from input (a field name that is itself an id, an exception message)."""
    return mask_text(reason, key)

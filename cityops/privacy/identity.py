"""Identities: normalized, then keyed-hashed, so a raw citizen or business id never leaves a
connector and the same person gets the same `applicant_ref` whatever the source typed.

HMAC-SHA256 with a deployment secret (`hash_key`): the same person maps to the same ref
across sources (joins still work) while the id cannot be recovered by hashing guesses, as it
could with a plain hash of a 12-digit number or a key anyone can read.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from pydantic import SecretStr

from cityops.contract.enums import ApplicantType

#: How long each kind of identity is when typed in full: a citizen's CCCD has 12 digits (the
#: old CMND 9), a business's tax code 10 (13 with a branch). Spreadsheets drop leading zeros.
_CITIZEN_LENGTHS = (9, 12)
_BUSINESS_LENGTHS = (10, 13)
#: Separators people type inside an id ("001 089 012 345", "001.089.012.345").
_SEPARATORS = re.compile(r"[\s.\-]")
#: A number a spreadsheet turned into a float ("1089012345.0").
_FLOAT_TEXT = re.compile(r"^(\d+)\.0+$")


def normalize_identity(raw: str | int | float, applicant_type: ApplicantType | None = None) -> str:
    """The canonical form of an id: no spaces, upper case, leading zeros restored.

    An all-digit id shorter than its kind's length gets its zeros back (`1089012345` ->
    `001089012345` for a citizen, `101234567` -> `0101234567` for a business), so a CCCD typed
    as a number in a spreadsheet hashes like the same CCCD typed as text. Citizen is assumed
    when the type is unknown.
    """
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = "".join(str(raw).split()).upper()
    as_float = _FLOAT_TEXT.match(text)
    if as_float:
        text = as_float.group(1)
    digits = _SEPARATORS.sub("", text)
    if not digits.isdigit():
        return text
    lengths = _BUSINESS_LENGTHS if applicant_type == ApplicantType.BUSINESS else _CITIZEN_LENGTHS
    for length in lengths:
        if len(digits) <= length:
            return digits.zfill(length) if len(digits) > length - 3 else digits
    return digits


def keyed_hash(text: str, key: SecretStr) -> str:
    """HMAC-SHA256 of `text`, 40 hex characters: the one hash every privacy rule uses."""
    digest = hmac.new(key.get_secret_value().encode("utf-8"), text.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:40]


def applicant_ref(
    raw_id: str | int | float, key: SecretStr, applicant_type: ApplicantType | None = None
) -> str:
    """The pseudonymous reference of an applicant: keyed hash of the normalized id."""
    return keyed_hash(normalize_identity(raw_id, applicant_type), key)

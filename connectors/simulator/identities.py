"""Identifiers of simulated things, pure functions of the seed so runs are reproducible.

The raw applicant id is derived from (seed, dossier id) rather than stored, so the adapters
mode can rebuild a national-portal record (which carries the raw id) from an event alone and
the pull adapter's keyed hash lands on the very `applicant_ref` the kafka mode publishes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from cityops.contract.enums import ApplicantType
from cityops.timeutil import TZ


@dataclass(frozen=True)
class SourceNames:
    """The connector instance names the simulated events claim to come from."""

    dossier: str = "sim-egov-dossier"
    payment: str = "sim-paygov"
    portal: str = "sim-portal"


def _digits(text: str, count: int) -> str:
    number = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return str(number % 10**count).zfill(count)


def dossier_id(seed: int, day: date, seq: int) -> str:
    """Shaped like a one-stop-shop receipt number: day, then a counter (seed-tagged)."""
    return f"H42-{day:%y%m%d}-{seed:x}-{seq:05d}"


def raw_applicant_id(seed: int, dossier: str, applicant_type: ApplicantType) -> str:
    """A synthetic CCCD (12 digits, Nam Định's prefix 036) or tax code (10 digits)."""
    if applicant_type == ApplicantType.BUSINESS:
        return "06" + _digits(f"{seed}:{dossier}:mst", 8)
    return "036" + _digits(f"{seed}:{dossier}:cccd", 9)


def applicant_name(seed: int, dossier: str) -> str:
    """A made-up name for the portal record's `ChuHoSo` (the adapter must drop it)."""
    family = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
    given = ("An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nam", "Thảo")
    pick = int(_digits(f"{seed}:{dossier}:name", 4))
    return f"{family[pick % len(family)]} Văn {given[pick // 10 % len(given)]}"


def session_id(seed: int, label: str) -> str:
    """A hashed portal session id, as the portal exports them."""
    return hashlib.blake2b(f"{seed}:{label}".encode(), digest_size=12).hexdigest()


def source_stamp(ts: datetime) -> str:
    """`yyyyMMddHHmmss` in local time: the national portal's date form (`NgayCapNhat`)."""
    return ts.astimezone(TZ).strftime("%Y%m%d%H%M%S")


def dossier_event_id(source: str, dossier: str, status: str, ts: datetime) -> str:
    """The id the pull adapter gives a national-portal record: the same in both modes."""
    return f"{source}:{dossier}:{status}:{source_stamp(ts)}"

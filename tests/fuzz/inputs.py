"""Generated source input for the fuzz suite, each piece with its expected fate.

Good records are varied within the contract (names in any script, every status, method and
time in the storable window); bad ones are good ones with one certainly-invalid change
(tests/support/hostile.py) or plain garbage. Ids come from one counter so that no two
generated records are the same event: "published exactly once" is then a count.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from connectors.dossier.samples import sync_record
from connectors.testing.samples import contract_event
from tests.support.hostile import BAD_CONTRACT_CHANGES, BAD_DOSSIER_CHANGES

SERIAL = itertools.count()

#: Text a person might type into a name field: any script, no control characters, and not
#: starting with "=" (a spreadsheet would take it for a formula).
NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), max_size=60).filter(
    lambda text: not text.lstrip().startswith("=")
)
TIMES = st.datetimes(datetime(2020, 1, 1), datetime(2026, 6, 30), timezones=st.just(UTC))
#: Any JSON value, shallow: contract records are flat, so garbage is too.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@dataclass(frozen=True)
class Fated:
    """One generated record and whether it must be published (else dead-lettered)."""

    record: Any
    good: bool


@st.composite
def payment_record(draw: st.DrawFn, source: str = "bank-a") -> dict[str, Any]:
    n = next(SERIAL)
    record = json.loads(contract_event("payment", source, n).to_json_bytes())
    status = draw(st.sampled_from(["initiated", "succeeded", "failed", "refunded"]))
    record.update(
        event_id=f"{source}:fz-{n}",
        event_type=f"payment.{status}",
        payment_id=f"fz-{n}",
        occurred_at=draw(TIMES).isoformat(),
        status=status,
        method=draw(st.sampled_from(["qr", "card", "cash", "ewallet", "bank_transfer"])),
        amount_vnd=draw(st.integers(0, 10**9)),
        provider=draw(NAMES.map(lambda t: t[:64])),
    )
    return record


@st.composite
def fated_payment(draw: st.DrawFn) -> Fated:
    record = draw(payment_record())
    change = draw(st.none() | BAD_CONTRACT_CHANGES)
    if change is not None:
        record.update(change)
    return Fated({k: v for k, v in record.items() if v is not ...}, change is None)


@st.composite
def portal_record(draw: st.DrawFn) -> dict[str, Any]:
    n = next(SERIAL)
    status = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    changed = draw(TIMES).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return sync_record(
        f"FZ-{n}",
        status,
        changed,
        TenCoQuan=draw(NAMES),
        ChuHoSo=draw(NAMES),
        KenhThucHien=draw(st.sampled_from([1, 2, 3])),
        LoaiDoiTuong=draw(st.sampled_from([1, 2])),
        MucDo=draw(st.sampled_from([1, 2, 3, 4])),
    )


@st.composite
def fated_portal_record(draw: st.DrawFn) -> Fated:
    record = draw(portal_record())
    change = draw(st.none() | BAD_DOSSIER_CHANGES)
    if change is not None:
        record.update(change)
    return Fated(record, change is None)


def garbage_object() -> st.SearchStrategy[Fated]:
    """A JSON object with none of a record's required fields: always dead-lettered."""
    return st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6).map(
        lambda record: Fated(record, False)
    )

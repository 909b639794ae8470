"""Hypothesis strategies for input that is certainly invalid, shared by the property tests
of the adapters (tests/unit/connectors) and the fuzz suite (tests/fuzz).

Each strategy changes one field of a well-formed record so that the record must be refused;
the expected fate of every generated record is known by construction, not by asking the code
under test.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from cityops.timeutil import parse_local

NO_DIGITS = st.text(st.characters(blacklist_categories=("Nd", "Cs")), min_size=1, max_size=12)


def _unparseable(text: str) -> bool:
    try:
        parse_local(text)
    except (ValueError, OverflowError):
        return bool(text.strip())
    return False


#: Changes that make a national-portal record certainly invalid.
BAD_DOSSIER_CHANGES = st.one_of(
    st.builds(lambda v: {"TrangThaiHoSo": v}, st.integers().filter(lambda i: not 1 <= i <= 10)),
    st.builds(lambda v: {"TrangThaiHoSo": v}, NO_DIGITS),
    st.builds(lambda v: {"KenhThucHien": v}, NO_DIGITS),
    st.builds(lambda v: {"NgayHenTra": v}, st.text(max_size=20).filter(_unparseable)),
    st.builds(lambda v: {"NgayCapNhat": v}, st.text(max_size=20).filter(_unparseable)),
    st.builds(lambda n: {"MaHoSo": "H" * n}, st.integers(200, 3000)),
    st.builds(lambda v: {"MaTTHC": v}, st.lists(st.integers(), max_size=3)),
    st.builds(
        lambda v: {"LoaiDoiTuong": v}, st.floats(allow_nan=True).filter(lambda f: f not in (1, 2))
    ),
    st.just({"SoGiayToChuHoSo": None}),
    # The contract's bounds (docs/contract.md, "Bounds"): codes in ASCII digits only, dates
    # in the two forms and inside the window, agency and area codes of the documented pattern.
    st.builds(lambda v: {"TrangThaiHoSo": v}, st.sampled_from([" 2 ", "٢", "２", True, 2.5])),
    st.builds(
        lambda v: {"NgayTiepNhan": v},
        st.sampled_from(["19000101000000", "2026-W01-1", "2026-001", "22000101000000"]),
    ),
    st.builds(
        lambda v: {"MaCoQuan": v}, st.sampled_from(["=1+1", "SKH DT", "٣٦", "=HYPERLINK(1)"])
    ),
    st.builds(lambda v: {"MaDiaBan": v}, st.sampled_from(["٣٦", "3 6", "-36"])),
)

#: The same, except that a garbage change time still sorts after every real one: a feed
#: returns records in its own order, and one sorting before the start would never be served.
BAD_FED_CHANGES = BAD_DOSSIER_CHANGES.map(
    lambda change: (
        {"NgayCapNhat": "9~" + str(change["NgayCapNhat"])} if "NgayCapNhat" in change else change
    )
)

#: Changes that make contract JSON certainly invalid.
BAD_CONTRACT_CHANGES = st.one_of(
    st.builds(lambda v: {"method": v}, NO_DIGITS),
    st.builds(lambda v: {"amount_vnd": v}, st.integers(max_value=-1)),
    st.builds(lambda v: {"amount_vnd": v}, NO_DIGITS),
    st.builds(
        lambda v: {"occurred_at": v}, st.sampled_from(["2025-03-03T08:00:00", "yesterday", ""])
    ),
    st.builds(lambda n: {"agency_code": "A" * n}, st.integers(65, 5000)),
    st.builds(lambda v: {"surprise": v}, st.integers()),
    st.just({"schema_version": 2}),
    st.just({"event_type": "payment.teleported"}),
    # The contract's bounds: no booleans as numbers, timestamps inside the window, codes of
    # the documented pattern.
    st.builds(lambda v: {"amount_vnd": v}, st.booleans()),
    st.builds(
        lambda v: {"occurred_at": v},
        st.sampled_from(
            ["2200-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "1900-01-01T00:00:00+07:00"]
        ),
    ),
    st.builds(lambda v: {"agency_code": v}, st.sampled_from(["=1+1", "SKH DT", "٣٦"])),
)


def mixed(bad: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[list[dict | None]]:
    return st.lists(st.one_of(st.none(), bad), min_size=1, max_size=12)

"""The privacy rules (cityops/privacy): normalization before hashing, masking in text,
redaction by default of rejected input, and reasons that never quote a value."""

from __future__ import annotations

import base64
import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from cityops.contract import ApplicantType, DeadLetter
from cityops.privacy import (
    CONTRACT_FIELDS,
    TOPIC_FIELDS,
    applicant_ref,
    has_personal_data,
    mask_event,
    mask_text,
    normalize_identity,
    redact_document,
)
from cityops.settings import REFERENCE_DIR, KafkaSettings, Settings
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.sdk import registry
from connectors.testing.fakes import FakeProducer
from connectors.testing.samples import contract_event

KEY = SecretStr("unit-test-key")
CCCD = "001089012345"
PHONE = "0912345678"
EMAIL = "tran.bich.ngoc@example.vn"
NAME = "Trần Thị Bích Ngọc"
PLANTED = (CCCD, PHONE, EMAIL, NAME)


def leaks(blob: bytes | str) -> list[str]:
    text = blob.decode("utf-8", errors="replace") if isinstance(blob, bytes) else blob
    return [value for value in PLANTED if value in text]


# -- identities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        1089012345,
        1089012345.0,
        "1089012345",
        "1089012345.0",
        " 001 089 012 345 ",
        "001.089.012.345",
        "001089012345",
    ],
)
def test_a_cccd_typed_as_a_number_hashes_like_the_text(typed: Any) -> None:
    assert normalize_identity(typed) == CCCD
    assert applicant_ref(typed, KEY) == applicant_ref(CCCD, KEY)


def test_lost_zeros_depend_on_the_kind_of_applicant() -> None:
    assert normalize_identity(12345678) == "012345678"  # a CMND
    assert normalize_identity(101234567, ApplicantType.BUSINESS) == "0101234567"  # a tax code
    branch = normalize_identity("0101234567-001", ApplicantType.BUSINESS)
    assert branch == normalize_identity("0101234567001", ApplicantType.BUSINESS)
    assert normalize_identity("b12345") == "B12345"
    assert applicant_ref(CCCD, KEY) != applicant_ref(CCCD, SecretStr("another-key"))


# -- masking in text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        CCCD,
        "036 089 012 345",
        "123456789",
        PHONE,
        "0912 345 678",
        "0912.345.678",
        "+84 912 345 678",
        "84912345678",
        "024 3825 1234",
        EMAIL,
        NAME,
        "NGUYỄN VĂN AN",
        "Nguyen Van An",
        f"gọi {PHONE} hoặc gửi {EMAIL}",
        f"chủ hồ sơ: {NAME}, CCCD {CCCD}",
        f"PAY-{CCCD}",
        f"{CCCD}:received",
    ],
)
def test_ids_phones_emails_and_names_are_masked(text: str) -> None:
    masked = mask_text(text, KEY)
    assert not leaks(masked) and not has_personal_data(masked)
    assert masked == mask_text(text, KEY), "the same value always gives the same token"
    assert masked == mask_text(masked, KEY), "a token is never masked again"


def test_a_token_keeps_ids_distinct_and_valid() -> None:
    one, two = mask_text("PAY-001089012345", KEY), mask_text("PAY-001089012346", KEY)
    assert one != two and one.startswith("PAY-cccd_")
    assert re.fullmatch(r"[\w.:\-/@]+", one), "still valid where the contract wants an Id"


def _reference_texts() -> list[str]:
    texts = []
    for path in sorted(Path(REFERENCE_DIR).glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            texts += [value for row in csv.DictReader(handle) for value in row.values()]
    return texts


@pytest.mark.parametrize(
    "text",
    [
        "000.00.36.H42-250303-0001",
        "egov-dossier:000.00.36.H42-250303-0001:received:20250303080000",
        "9d44ad5f1d7876300bb95046123456789a",  # hex digests with long digit runs
        "2025-03-03T08:00:00.000Z",
        "Do Not Honor",
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "UBND Thành phố Nam Định",
        "amount 50000 VND",
        *_reference_texts(),
    ],
)
def test_what_is_not_personal_is_left_alone(text: str) -> None:
    assert mask_text(text, KEY) == text


def test_an_event_is_masked_in_every_text_field_and_its_key() -> None:
    event = contract_event("payment", "src", 1).model_copy(
        update={"payment_id": f"PAY-{CCCD}", "provider": NAME, "failure_reason": EMAIL}
    )
    masked = mask_event(event, KEY)
    assert not leaks(masked.to_json_bytes()) and not leaks(masked.key())
    assert masked.amount_vnd == event.amount_vnd
    clean = contract_event("payment", "src", 2)
    assert mask_event(clean, KEY) is clean


# -- redaction of rejected input ---------------------------------------------------------------


def test_only_contract_and_declared_fields_keep_their_values() -> None:
    record = {
        "event_id": "e-1",
        "status": "bogus",
        "amount_vnd": 50_000,
        "SoCCCD": CCCD,
        "DienThoai": "0912 345 678",
        "nested": {"status": "x", "deeper": [{"Email": EMAIL}, NAME, 1089012345]},
        "payment_id": f"PAY-{CCCD}",
        NAME: "a key that is a name",
    }
    out = json.loads(redact_document(json.dumps(record).encode(), CONTRACT_FIELDS, KEY))
    assert out["event_id"] == "e-1" and out["status"] == "bogus" and out["amount_vnd"] == 50_000
    assert out["SoCCCD"] == "hmac:" + applicant_ref(CCCD, KEY), "joinable with applicant_ref"
    assert out["DienThoai"].startswith("hmac:")
    assert out["nested"]["status"].startswith("hmac:"), "a known name under an unknown one"
    assert all(str(v).startswith("hmac:") for v in out["nested"]["deeper"][1:])
    assert out["payment_id"].startswith("PAY-cccd_")
    assert not leaks(json.dumps(out, ensure_ascii=False))


@pytest.mark.parametrize(
    "raw",
    [
        f'{{"MaHoSo": "HS-1", "SoGiayToChuHoSo": "{CCCD}", "ChuHoSo": "{NAME}", "x": ',
        f'{{"ChuHoSo": "{NAME}',
        f"{CCCD},{PHONE},{EMAIL},{NAME}",
        json.dumps(CCCD),
        json.dumps(int(CCCD)),
        json.dumps([CCCD, {"MaHoSo": NAME}]),
        '{"a": ' * 5000 + json.dumps(CCCD) + "}" * 5000,
        "[" * 900 + json.dumps(NAME) + "]" * 900,
    ],
    ids=lambda raw: raw[:20],
)
def test_input_that_is_not_an_object_is_redacted_too(raw: str) -> None:
    assert not leaks(redact_document(raw.encode(), CONTRACT_FIELDS, KEY))


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(PLANTED), st.text(max_size=8)
)
json_docs = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from([*sorted(CONTRACT_FIELDS)[:6], *PLANTED, "Ghi chu"]), inner, max_size=5
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_docs)
def test_no_planted_value_survives_redaction_anywhere(doc: Any) -> None:
    raw = json.dumps(doc, ensure_ascii=False).encode()
    assert not leaks(redact_document(raw, CONTRACT_FIELDS, KEY))
    assert not leaks(redact_document(raw[: len(raw) // 2], CONTRACT_FIELDS, KEY))


# -- through the connector SDK: every connector, every rule ---------------------------------


def _connector(cls: type, tmp_path: Path, producer: FakeProducer) -> Any:
    settings = Settings(kafka=KafkaSettings(namespace="unit"), state_dir=tmp_path, hash_key=KEY)
    return cls({"source": "unit-src"}, settings, producer=producer)


def _planted_records(good: dict[str, Any]) -> list[dict[str, Any]]:
    """The good record with each planted value in each field, and as an extra field."""
    records = []
    for name in [*good, "GhiChu"]:
        for value in (*PLANTED, int(CCCD)):
            records.append({**good, name: value})
    return records


@pytest.mark.parametrize("cls", registry.all_connectors(), ids=lambda cls: cls.name)
def test_a_planted_value_in_any_field_reaches_neither_kafka_nor_a_reason(
    cls: type, tmp_path: Path
) -> None:
    """For every registered connector, with nothing declared: a new one is private too."""
    producer = FakeProducer()
    connector = _connector(cls, tmp_path, producer)
    good = json.loads(cls.sample_input("unit-src").good[0])
    outcomes = [connector.handle(record) for record in _planted_records(good)]
    assert any(o.event for o in outcomes) and any(o.reason for o in outcomes)
    for sent in producer.sent:
        assert not leaks(sent.value) and not leaks(sent.key or b""), sent
        if sent.topic.endswith("deadletter.v1"):
            assert not leaks(
                base64.b64decode(DeadLetter.model_validate_json(sent.value).original_b64)
            )
    for outcome in outcomes:
        assert not leaks(outcome.reason or "")


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ("LoaiDoiTuong", "unknown_LoaiDoiTuong"),
        ("KenhThucHien", "unknown_KenhThucHien"),
        ("TrangThaiHoSo", "unknown_TrangThaiHoSo"),
        ("NgayHenTra", "bad_date"),
        ("ToanTrinh", "unknown_ToanTrinh"),
    ],
)
def test_a_reason_names_the_field_and_the_rule(field: str, rule: str, tmp_path: Path) -> None:
    connector = _connector(DossierConnector, tmp_path, FakeProducer())
    record = sync_record("HS-1", 2, "20250303080000", **{field: CCCD})
    if field == "ToanTrinh":
        record["MucDo"] = None
    reason = connector.handle(record).reason
    assert reason is not None and reason.startswith(rule) and field in reason
    assert CCCD not in reason and "1089012345" not in reason


def test_a_spreadsheet_id_typed_as_a_number_gets_the_same_ref(tmp_path: Path) -> None:
    connector = _connector(DossierConnector, tmp_path, FakeProducer())
    as_text = sync_record("HS-1", 2, "20250303080000", SoGiayToChuHoSo=CCCD, LoaiDoiTuong=1)
    as_number = {**as_text, "SoGiayToChuHoSo": int(CCCD)}
    as_float = {**as_text, "SoGiayToChuHoSo": float(CCCD)}
    refs = {connector.handle(r).event.applicant_ref for r in (as_text, as_number, as_float)}
    assert refs == {applicant_ref(CCCD, KEY)}


def test_a_contract_event_redacted_as_a_worker_does_is_unchanged() -> None:
    """Worker and sink dead letters replay: a clean event survives redaction as it was."""
    event = contract_event("dossier", "src", 4)
    raw = event.to_json_bytes()
    assert json.loads(redact_document(raw, TOPIC_FIELDS, KEY)) == json.loads(raw)

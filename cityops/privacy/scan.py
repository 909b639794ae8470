"""Finding personal data in text a source was free to fill, and masking it.

Any string a connector publishes or dead-letters (ids, names of things, free text, reasons)
passes through `mask_text`: Vietnamese citizen ids (12-digit CCCD, 9-digit CMND), phone
numbers, e-mail addresses and people's names (a Vietnamese family name followed by two to
four capitalised syllables) are replaced by a token such as `cccd_kfpbadogjmie`: the kind,
then a keyed hash spelt in letters. The token is the same for the same value, so ids stay
distinct and joinable, and it is itself valid in an `Id` field and never matches a rule again.

Digits glued to letters (`HS001089012345`, hex digests) are not taken for an id: that keeps
hashed session ids and receipt numbers intact at the price of missing ids written that way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from pydantic import SecretStr

from cityops.privacy.identity import keyed_hash, normalize_identity

#: Hex digits spelt as letters: a token never contains a digit run that looks like an id.
_LETTERS = str.maketrans("0123456789", "ghijklmnop")
#: Not preceded/followed by a letter or digit (underscore, dash, dot, colon, space are fine).
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"

CCCD = re.compile(rf"{_START}[0-9](?: ?[0-9]){{11}}{_END}")
PHONE = re.compile(rf"{_START}(?:\+84|84|0)[ .]?[1-9](?:[ .]?[0-9]){{8,9}}{_END}")
CMND = re.compile(rf"{_START}[0-9]{{9}}{_END}")
#: Cheap first looks, so that text with nothing personal (nearly all of it) costs little:
#: a stretch of digits, spaces and dots long enough to hold nine digits; words.
_DIGIT_STRETCH = re.compile(r"[0-9][0-9 .]{7,}[0-9]")
_NO_SEPARATORS = str.maketrans("", "", " .")
_PUNCTUATION = str.maketrans({c: " " for c in ",.;:()[]{}<>\"'/\\-_|!?*#&=+"})
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")

#: Family names that open most Vietnamese names (with and without diacritics; unaccented
#: forms only where they are not also common English or Vietnamese words).
_FAMILY_NAMES = """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương
    Trịnh Trương Đinh Lâm Phùng Mai Tô Hà Tạ Cao Lương Lưu Châu Quách Thái Triệu Kiều La Từ
    Chu Đàm Lục Mạc Khúc Tăng Nghiêm Thân Âu Giang Tôn Tống Diệp Hứa Lã Lại Ninh Doãn Quan Kim
    Hầu Khổng Lò Mạch Nông Phí Phó Thạch Nguyen Tran Pham Hoang Huynh Phan Dang Bui Duong
    Truong Trinh Dinh Vuong Ngo Doan Luong Quach Nghiem"""
FAMILY_NAMES = frozenset(_FAMILY_NAMES.split())
_FAMILY_FORMS = FAMILY_NAMES | {name.upper() for name in FAMILY_NAMES}
_WORD = re.compile(r"[^\W\d_]+")
_GAP = re.compile(r"[ \t]+")
#: A Vietnamese syllable has at most seven letters ("nghiêng").
_MAX_SYLLABLE = 7


def _token(kind: str, value: str, key: SecretStr) -> str:
    return f"{kind}_{keyed_hash(f'{kind}:{value}', key)[:12].translate(_LETTERS)}"


def _identity_token(kind: str) -> Callable[[re.Match[str], SecretStr], str]:
    def replace(match: re.Match[str], key: SecretStr) -> str:
        return _token(kind, normalize_identity(match.group(0)), key)

    return replace


def _phone_token(match: re.Match[str], key: SecretStr) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    national = "0" + digits[2:] if digits.startswith("84") else digits
    return _token("phone", national, key)


def _email_token(match: re.Match[str], key: SecretStr) -> str:
    return _token("email", match.group(0).lower(), key)


#: Most specific first: a CCCD is not read as a phone number, a phone not as a CMND.
RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str], SecretStr], str]], ...] = (
    ("email", EMAIL, _email_token),
    ("cccd", CCCD, _identity_token("cccd")),
    ("phone", PHONE, _phone_token),
    ("cmnd", CMND, _identity_token("cmnd")),
)


def _is_syllable(word: str) -> bool:
    return len(word) <= _MAX_SYLLABLE and word[0].isupper()


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Where a family name is followed by two to four capitalised syllables."""
    spans = []
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        first = words[i]
        if first.group(0) not in FAMILY_NAMES and first.group(0).title() not in FAMILY_NAMES:
            i += 1
            continue
        if not first.group(0)[0].isupper():
            i += 1
            continue
        end, j = first.end(), i + 1
        while j < len(words) and j - i <= 4:
            nxt = words[j]
            if not _GAP.fullmatch(text[end : nxt.start()]) or not _is_syllable(nxt.group(0)):
                break
            end, j = nxt.end(), j + 1
        if j - i >= 3:
            spans.append((first.start(), end))
            i = j
        else:
            i += 1
    return spans


def mask_names(text: str, key: SecretStr) -> str:
    spans = _name_spans(text)
    for start, end in reversed(spans):
        name = " ".join(text[start:end].split()).lower()
        text = text[:start] + _token("name", name, key) + text[end:]
    return text


def _may_hold_number(text: str) -> bool:
    return any(sum(c.isdigit() for c in m.group(0)) >= 9 for m in _DIGIT_STRETCH.finditer(text))


def _may_hold_name(text: str) -> bool:
    if text.count(" ") + text.count("\t") < 2:  # a name is three words apart by blanks
        return False
    words = text.translate(_PUNCTUATION).split()
    return len(words) >= 3 and not _FAMILY_FORMS.isdisjoint(words)


def might_be_personal(text: str) -> bool:
    """A cheap test that is never false when `mask_text` would change `text`."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return "@" in text or _may_hold_number(text) or _may_hold_name(text)


def mask_text(text: str, key: SecretStr) -> str:
    """`text` with every id, phone, e-mail and name replaced by its token."""
    if not text:
        return text
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "@" in text or _may_hold_number(text):
        for _kind, pattern, replace in RULES:
            if pattern.search(text):
                text = pattern.sub(lambda m, r=replace: r(m, key), text)  # type: ignore[misc]
    if _may_hold_name(text):
        text = mask_names(text, key)
    return text


def has_personal_data(text: str) -> bool:
    """Whether `mask_text` would change `text` (its key does not matter for that)."""
    return any(p.search(text) for _k, p, _r in RULES) or bool(_name_spans(text))

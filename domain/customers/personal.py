"""Personal data as value objects: validation, normalisation and masking.

Normalised values are what the repository encrypts and blind-indexes; masked values are what
every response shows unless someone with `pii:reveal` asks explicitly.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.shared.errors import ValidationFailed

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(?:-(\d{1,6}))?$", re.ASCII)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _compact(raw: str) -> str:
    # NFKC turns full-width digits (１３８…) into ASCII; other scripts' digits stay and fail
    return re.sub(r"[\s()\u3000.]", "", unicodedata.normalize("NFKC", raw).strip())


def normalise_mobile(raw: str, field: str = "mobile") -> str:
    """A mainland mobile (13812345678, +86 138 1234 5678) → '13812345678'; else E.164."""
    compact = _compact(raw).replace("-", "")
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if _MAINLAND_MOBILE.match(compact):
        return compact
    if compact.startswith("+"):
        try:
            number = phonenumbers.parse(compact, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            if number.country_code == 86:
                raise ValidationFailed.of(field, "customer.mobile_not_mainland")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationFailed.of(
        field, "customer.mobile_format")


def _area_code_length(digits: str) -> int:
    # 010 and 02x are three digits; every other mainland area code is four.
    return 3 if digits[1:2] in ("1", "2") else 4


def normalise_landline(raw: str, field: str = "landline") -> str:
    """'010 1234 5678' / '(010)12345678' / '021-66667777-123' → '010-12345678[-ext]'."""
    compact = _compact(raw)
    if compact.startswith("+86"):
        compact = "0" + compact[3:].lstrip("-")
    parts = compact.split("-")
    if len(parts) >= 2 and len(parts[0]) == _area_code_length(parts[0]):
        area, local, ext = parts[0], parts[1], parts[2:]
    else:
        joined = parts[0]
        cut = _area_code_length(joined)
        area, local, ext = joined[:cut], joined[cut:], parts[1:]
    valid = (
        area.startswith("0") and area.isascii() and area.isdigit()
        and re.fullmatch(r"\d{7,8}", local, re.ASCII)
        and len(ext) <= 1 and all(re.fullmatch(r"\d{1,6}", e, re.ASCII) for e in ext)
    )
    if not valid:
        raise ValidationFailed.of(field, "customer.landline_format")
    return f"{area}-{local}" + (f"-{ext[0]}" if ext else "")


# The common case, checked without the full library (imports validate many thousands).
_PLAIN_EMAIL = re.compile(
    r"^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$")


def normalise_email(raw: str, field: str = "email") -> str:
    value = raw.strip()
    m = _PLAIN_EMAIL.match(value)
    if m and len(value) <= 254 and len(m.group(1)) <= 64:
        return f"{m.group(1)}@{m.group(2).lower()}"
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as e:
        raise ValidationFailed.of(field, "customer.email_invalid", reason=str(e)) from None
    return f"{result.local_part}@{result.domain.lower()}"


def id_card_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_card(raw: str, field: str = "id_card_number") -> str:
    """An 18-character resident ID with a valid check digit (GB 11643)."""
    value = _compact(raw).upper()
    if not re.fullmatch(r"\d{17}[\dX]", value, re.ASCII):
        raise ValidationFailed.of(field, "customer.id_card_format")
    if id_card_check_digit(value[:17]) != value[17]:
        raise ValidationFailed.of(field, "customer.id_card_check_digit")
    return value


def mask_phone(value: str) -> str:
    if _MAINLAND_MOBILE.match(value):
        return f"{value[:3]}****{value[-4:]}"
    if value.startswith("+"):
        return value[:3] + "*" * max(len(value) - 7, 1) + value[-4:]
    m = _LANDLINE.match(value)
    if m:
        area, local, ext = m.groups()
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}" + (f"-{ext}" if ext else "")
    return "*" * max(len(value) - 4, 1) + value[-4:]


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_id_card(value: str) -> str:
    return f"{value[:6]}********{value[-4:]}"

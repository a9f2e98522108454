"""The vocabulary of a customer's fields and the checks their values pass: kinds, grades,
tiers, sizes and sources; legal names, amounts, instants, tags and custom values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.shared.errors import ValidationFailed
from domain.shared.text import DEFAULT_LOCALE


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Grade(StrEnum):
    """Lifecycle grade: potential → intent → closed → churned; churned → intent to reactivate."""

    POTENTIAL = "potential"
    INTENT = "intent"
    CLOSED = "closed"
    CHURNED = "churned"


GRADE_MOVES: dict[Grade, frozenset[Grade]] = {
    Grade.POTENTIAL: frozenset({Grade.INTENT}),
    Grade.INTENT: frozenset({Grade.CLOSED}),
    Grade.CLOSED: frozenset({Grade.CHURNED}),
    Grade.CHURNED: frozenset({Grade.INTENT}),
}


class Tier(StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    NORMAL = "normal"


class Size(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    ENTERPRISE = "enterprise"


class Source(StrEnum):
    WEBSITE = "website"
    TRADE_SHOW = "trade_show"
    PHONE = "phone"
    REFERRAL = "referral"
    PARTNER = "partner"
    IMPORT = "import"
    API = "api"
    OTHER = "other"


@dataclass(frozen=True)
class TierPolicy:
    """Annual-purchase thresholds (in the organisation's currency) for the value tier."""

    strategic_from: Decimal = Decimal("1000000")
    key_from: Decimal = Decimal("100000")

    def tier_for(self, annual_purchase: Decimal | None) -> Tier:
        if annual_purchase is None:
            return Tier.NORMAL
        if annual_purchase >= self.strategic_from:
            return Tier.STRATEGIC
        if annual_purchase >= self.key_from:
            return Tier.KEY
        return Tier.NORMAL


_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_TAG = re.compile(r"^[^\s,][^,]{0,49}$")
MAX_TAGS = 50


def customer_number(now: datetime, sequence: int) -> str:
    """C + yyyymm + a six-digit (or longer) sequence, e.g. C202611000042."""
    return f"C{now:%Y%m}{sequence:06d}"


def check_legal_name(raw: str) -> str:
    name = re.sub(r"\s+", " ", raw.strip())
    if not 2 <= len(name) <= 200:
        raise ValidationFailed.of("name", "customer.legal_name_length")
    return name


# A company's full legal name ends in its legal form; a bare brand is an abbreviation.
_LEGAL_FORMS_ZH = ("公司", "集团", "厂", "店", "中心", "研究院", "研究所", "事务所", "合作社",
                   "医院", "学校", "大学", "学院", "银行", "协会", "商行", "工作室", "合伙)",
                   "合伙）", "基金会", "局", "委员会", "部", "站", "社")
_LEGAL_FORMS_EN = re.compile(
    r"\b(ltd|limited|inc|incorporated|llc|llp|lp|corp|corporation|co|company|gmbh|ag|sa|"
    r"s\.a|sas|bv|b\.v|nv|n\.v|plc|pty|kk|group|holdings|university|hospital|bank|"
    r"association|foundation|partners)\.?$", re.IGNORECASE)


def check_company_name(name: str) -> None:
    if not (name.endswith(_LEGAL_FORMS_ZH) or _LEGAL_FORMS_EN.search(name)):
        raise ValidationFailed.of(
            "name", "customer.company_full_name")


def normalised_name(name: str) -> str:
    """For duplicate detection: case, spaces and full-width brackets do not tell names apart."""
    n = name.lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", n)


def money(raw: Any, field_name: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationFailed.of(
            field_name, "customer.amount_format") from None
    if not value.is_finite() or value < 0 or value > Decimal("9999999999999999.99"):
        raise ValidationFailed.of(field_name, "customer.amount_negative")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed.of(field_name, "customer.amount_decimals")
    return value.quantize(Decimal("0.01"))


def aware(value: datetime | None, field_name: str) -> datetime | None:
    """Times are instants: one without a time zone is ambiguous, so it is refused."""
    if value is not None and value.tzinfo is None:
        raise ValidationFailed.of(field_name, "customer.time_zone_required")
    return value


def check_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not _TAG.match(tag):
            raise ValidationFailed.of("tags", "customer.not_a_tag", tag=raw)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed.of("tags", "customer.tags_too_many", max=MAX_TAGS)
    return cleaned


def check_custom(values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if not _CUSTOM_KEY.fullmatch(key):
            raise ValidationFailed.of(f"custom.{key}", "customer.custom_key")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValidationFailed.of(f"custom.{key}", "customer.custom_list_text")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValidationFailed.of(f"custom.{key}", "customer.custom_value_kind")
        if isinstance(value, str) and len(value) > 2000:
            raise ValidationFailed.of(f"custom.{key}", "customer.custom_too_long", max=2000)
    return dict(values)


@dataclass(frozen=True)
class PicklistEntry:
    """A value of an admin-managed list (an industry, a region) and its words per language;
    `fallback` is what a language without words of its own shows."""

    value: str
    labels: dict[str, str]
    fallback: str

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels.get(DEFAULT_LOCALE) or self.fallback

    @classmethod
    def of(cls, value: str, zh_cn: str, en: str | None = None) -> PicklistEntry:
        """What an admin gives: the Chinese words are required; English ones fall back to them."""
        zh_cn = zh_cn.strip()
        english = (en or "").strip() or zh_cn
        return cls(value, {"zh-CN": zh_cn, "en": english}, zh_cn)

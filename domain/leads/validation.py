"""What is wrong with an inquiry, as flags with a reason, instead of a refusal.

A website form at 23:00 must not lose a lead because a digit is missing: the lead is kept, the
problem is named, and the owner decides. Only spam is put aside (disqualified on arrival).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from domain.customers.personal import normalise_email, normalise_landline, normalise_mobile
from domain.shared.errors import ValidationFailed
from domain.shared.text import Text, text


class FlagCode(StrEnum):
    INVALID_PHONE = "invalid_phone"
    INVALID_EMAIL = "invalid_email"
    NO_CONTACT = "no_contact"
    EMPTY_CONTENT = "empty_content"
    SPAM = "spam"
    DISPOSABLE_EMAIL = "disposable_email"
    DUPLICATE_LEAD = "duplicate_lead"
    EXISTING_CUSTOMER = "existing_customer"


@dataclass(frozen=True)
class LeadFlag:
    code: FlagCode
    reason: Text
    ref_id: uuid.UUID | None = None  # the open lead or the customer it duplicates


@dataclass(frozen=True)
class ContactPoint:
    """A phone or e-mail as given: normalised when valid, kept as typed when not."""

    value: str
    valid: bool


def phone_point(raw: str | None) -> ContactPoint | None:
    """A mainland mobile, E.164 number or landline with area code; anything else is invalid."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for normalise in (normalise_mobile, normalise_landline):
        try:
            return ContactPoint(normalise(raw, "phone"), True)
        except ValidationFailed:
            continue
    return ContactPoint(raw[:40], False)


def email_point(raw: str | None) -> ContactPoint | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return ContactPoint(normalise_email(raw, "email"), True)
    except ValidationFailed:
        return ContactPoint(raw[:254], False)


def is_landline(phone: str) -> bool:
    return phone.startswith("0") and "-" in phone


# Throw-away mailbox providers: real buyers rarely use them, form bots often do.
DISPOSABLE_DOMAINS = frozenset({
    "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com",
    "10minutemail.com", "10minutemail.net", "tempmail.com", "temp-mail.org", "tempmail.net",
    "yopmail.com", "yopmail.net", "trashmail.com", "trashmail.de", "getnada.com",
    "dispostable.com", "maildrop.cc", "mailnesia.com", "throwawaymail.com", "fakeinbox.com",
    "mintemail.com", "mohmal.com", "emailondeck.com", "spamgourmet.com", "mytemp.email",
    "tempinbox.com", "burnermail.io", "discard.email", "moakt.com", "linshiyouxiang.net",
    "bccto.me", "027168.com", "chacuo.net",
})

# Phrases that do not occur in a genuine purchase inquiry.
SPAM_PHRASES = (
    "casino", "viagra", "cialis", "crypto investment", "bitcoin investment", "seo services",
    "backlinks", "guest post", "rank your website", "loan offer", "forex signals",
    "博彩", "代开发票", "刷单", "网赚", "贷款无抵押", "兼职日结",
)
_URL = re.compile(r"(https?://|www\.)", re.IGNORECASE)
_WORDY = re.compile(r"[\w\u4e00-\u9fff]")
MAX_LINKS = 2


def spam_reason(*texts: str | None) -> Text | None:
    """Why the submission looks like spam, or None."""
    joined = " ".join(t for t in texts if t)
    lowered = joined.lower()
    for phrase in SPAM_PHRASES:
        if phrase in lowered:
            return text("lead.flag.spam_phrase", phrase=phrase)
    links = len(_URL.findall(joined))
    if links > MAX_LINKS:
        return text("lead.flag.spam_links", links=links)
    if re.search(r"(.)\1{14,}", joined):
        return text("lead.flag.spam_repeats")
    return None


def has_content(text: str | None) -> bool:
    return bool(text and _WORDY.search(text))


def flags_for(*, name: str | None, company: str | None, message: str | None,
              phone: ContactPoint | None, email: ContactPoint | None) -> list[LeadFlag]:
    """The validation flags of an inquiry (duplicates are found by the use case)."""
    flags: list[LeadFlag] = []
    if phone is not None and not phone.valid:
        flags.append(LeadFlag(FlagCode.INVALID_PHONE, text("lead.flag.invalid_phone")))
    if email is not None and not email.valid:
        flags.append(LeadFlag(FlagCode.INVALID_EMAIL, text("lead.flag.invalid_email")))
    if not (phone and phone.valid) and not (email and email.valid):
        flags.append(LeadFlag(FlagCode.NO_CONTACT, text("lead.flag.no_contact")))
    if not (has_content(name) or has_content(company) or has_content(message)):
        flags.append(LeadFlag(FlagCode.EMPTY_CONTENT, text("lead.flag.empty_content")))
    if email is not None and email.valid:
        domain = email.value.rpartition("@")[2].lower()
        if domain in DISPOSABLE_DOMAINS:
            flags.append(LeadFlag(FlagCode.DISPOSABLE_EMAIL,
                                  text("lead.flag.disposable_email", domain=domain)))
    reason = spam_reason(name, company, message)
    if reason is not None:
        flags.append(LeadFlag(FlagCode.SPAM, reason))
    return flags

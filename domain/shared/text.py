"""A piece of text as a code with parameters, the languages we speak, and the language of the
request being served.

Codes are stable and language-free (clients and integrations may branch on them); the words are
chosen when someone reads them, so a reader who switches language sees old text in the new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

# A code is a dotted identifier (`required`, `contract.submitted`); anything else passed where a
# code is expected is literal text and shown as it is.
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Text:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The stored form: JSON with nested texts and money kept as such."""
        return {"code": self.code, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        return cls(str(data["code"]),
                   {k: _param_loaded(v) for k, v in (data.get("params") or {}).items()})


def text(code: str, **params: Any) -> Text:
    return Text(code, params)


def literal(value: str) -> Text:
    """Words written before they had a code (old timeline lines): shown as they are."""
    return Text("literal", {"text": value})


def as_text(message: str | Text, params: Mapping[str, Any] | None = None) -> Text:
    if isinstance(message, Text):
        return message
    if CODE.match(message):
        return Text(message, dict(params or {}))
    return literal(message)


@dataclass(frozen=True)
class Money:
    """An amount in a currency, written the reader's way (`¥1,800,000.00`)."""

    amount: Decimal
    currency: str = "CNY"


@dataclass(frozen=True)
class Label:
    """A code from a closed list (a status, a stage key, a role) shown as its label:
    rendered from `<kind>.<value>` in the catalogue, or the value itself when none is there."""

    kind: str
    value: str


def _param_json(value: Any) -> Any:
    if isinstance(value, Text):
        return {"$text": value.to_json()}
    if isinstance(value, Money):
        return {"$money": [str(value.amount), value.currency]}
    if isinstance(value, Label):
        return {"$label": [value.kind, value.value]}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_param_json(item) for item in value]
    return value


def _param_loaded(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if key == "$text":
            return Text.from_json(inner)
        if key == "$money":
            return Money(Decimal(inner[0]), inner[1])
        if key == "$label":
            return Label(inner[0], inner[1])
    if isinstance(value, list):
        return [_param_loaded(item) for item in value]
    return value


# Outside a request (logs, a job not told whose language to write in) the words are English;
# every request sets its own language (api/middleware.py).
_speaking: ContextVar[str] = ContextVar("crm_locale", default="en")


def current_locale() -> str:
    return _speaking.get()


def set_locale(locale: str | None) -> None:
    """The language of the rest of this request (or job); unknown languages are ignored."""
    if locale in LOCALES:
        _speaking.set(locale)


@contextmanager
def speaking(locale: str | None) -> Iterator[str]:
    """Renders in `locale` inside the block (a worker writing to one recipient)."""
    chosen = locale if locale in LOCALES else DEFAULT_LOCALE
    token = _speaking.set(chosen)
    try:
        yield chosen
    finally:
        _speaking.reset(token)


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an Accept-Language header (RFC 9110 §12.5.4), or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _position, tag in sorted(ranked):
        if negative_quality >= 0:
            break
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return None

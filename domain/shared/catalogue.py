"""Every package's words in one catalogue, and the rendering of a text in a language.

Each domain package that writes text keeps its words beside its code, in a `texts` module with a
`TEXTS` dict: code → {locale → template}. Templates use `{name}` placeholders (str.format); the
catalogue finds the modules itself, so a new package only adds its own file.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import domain
from domain.shared.text import LOCALES, Label, Money, Text, current_locale

Texts = dict[str, dict[str, str]]


@cache
def catalogue() -> Texts:
    merged: Texts = {}
    owners: dict[str, str] = {}
    for package in sorted(info.name for info in pkgutil.iter_modules(domain.__path__)
                          if info.ispkg):
        try:
            module = importlib.import_module(f"domain.{package}.texts")
        except ModuleNotFoundError as missing:
            if missing.name != f"domain.{package}.texts":
                raise
            continue
        for code, words in module.TEXTS.items():
            if code in merged:
                raise ValueError(f"text code {code!r} is defined in both "
                                 f"domain.{owners[code]} and domain.{package}")
            merged[code] = words
            owners[code] = package
    return merged


def missing_words() -> list[str]:
    """`code: locale` for every code that lacks a language (a test keeps this empty)."""
    return [f"{code}: {locale}" for code, words in catalogue().items()
            for locale in LOCALES if not words.get(locale)]


def has(code: str) -> bool:
    return code in catalogue()


def render(value: Text | str, locale: str | None = None) -> str:
    """The words of a text in `locale` (default: the current request's language)."""
    locale = locale or current_locale()
    if isinstance(value, str):
        return value
    if value.code == "literal":
        return str(value.params.get("text", ""))
    words = catalogue().get(value.code)
    if words is None:
        return value.code
    template = words.get(locale) or words.get("en") or value.code
    params = {name: _shown(param, locale) for name, param in value.params.items()}
    try:
        return template.format_map(params)
    except (KeyError, IndexError, ValueError):
        return template


def label(kind: str, value: str, locale: str | None = None) -> str:
    words = catalogue().get(f"{kind}.{value}")
    if words is None:
        return value
    return words.get(locale or current_locale()) or words.get("en") or value


def money(amount: Decimal | int | float | str, currency: str = "CNY",
          locale: str | None = None) -> str:
    """`¥1,800,000.00`; currencies without a sign are written with their code."""
    number = f"{Decimal(str(amount)):,.2f}"
    sign = _SIGNS.get(currency)
    if sign is not None:
        return f"{sign}{number}"
    return f"{currency} {number}"


_SIGNS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}


def _shown(param: Any, locale: str) -> Any:
    if isinstance(param, Text):
        return render(param, locale)
    if isinstance(param, Label):
        return label(param.kind, param.value, locale)
    if isinstance(param, Money):
        return money(param.amount, param.currency, locale)
    if isinstance(param, Decimal):
        return f"{param:,.2f}"
    if isinstance(param, datetime):
        return param.strftime("%Y-%m-%d %H:%M")
    if isinstance(param, date):
        return param.isoformat()
    if isinstance(param, list | tuple):
        separator = "、" if locale == "zh-CN" else ", "
        return separator.join(str(_shown(item, locale)) for item in param)
    return param

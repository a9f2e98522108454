"""Search keys: the text a record is found by, built when the record is written.

A Chinese sales team types names in pinyin on phones and laptops alike: 上海明远精密机械 is
found by `mingyuan` (the full spelling) and by `shmyjm` (the initials). PostgreSQL cannot
spell Chinese, so the key holds the spellings beside the characters, lower-cased, and the
n-gram indexes over it serve a substring search of any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# What a spelling keeps of a name: letters and digits (no spaces, brackets or punctuation).
_NOT_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def spellings(text: str) -> tuple[str, str]:
    """The full pinyin spelling and the initials of the Chinese in `text` ('' without any).
    Letters and digits around the Chinese characters stay in both, so 'ABC科技' is found by
    'abckeji' and 'abckj'. Cached: a company's name is spelled on every save of the record."""
    if not _HAN.search(text):
        return "", ""
    full = "".join(lazy_pinyin(text, errors="default")).lower()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    return _NOT_WORD.sub("", full), _NOT_WORD.sub("", initials)


def search_key(*texts: str | None) -> str:
    """One record's key: each text lower-cased, then the spellings of those in Chinese.
    Matches never need to span two parts, so the parts are joined by a space."""
    parts = [t.strip().lower() for t in texts if t and t.strip()]
    spelled: list[str] = []
    for part in parts:
        for spelling in spellings(part):
            if spelling:
                spelled.append(spelling)
    return " ".join(_unique([*parts, *spelled]))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def phone_tail(number: str | None) -> str | None:
    """The last four digits of a stored (normalised) phone number, the part its masked form
    shows anyway (138****5678, 021-****7777): a landline's extension is not its tail."""
    if not number:
        return None
    local = number.split("-")[1] if number.startswith("0") and "-" in number else number
    digits = re.sub(r"\D", "", local)
    return digits[-4:] if len(digits) >= 4 else None

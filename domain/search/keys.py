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

from pypinyin import lazy_pinyin

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# What a spelling keeps of a name: letters and digits (no spaces, brackets or punctuation).
_NOT_WORD = re.compile(r"[^0-9a-z]+")


_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=65536)
def spellings(text: str) -> tuple[str, str]:
    """The full pinyin spelling and the initials of the Chinese in `text` ('' without any).
    Letters and digits around the Chinese characters stay in both, so 'ABC科技' is found by
    'abckeji' and 'abckj'. Each run of Chinese is spelled once (the initials are the first
    letters of its syllables): pypinyin's phrase matching is most of a record's write cost.
    Cached: a company's name is spelled again on every save of the record."""
    if not _HAN.search(text):
        return "", ""
    full: list[str] = []
    initials: list[str] = []
    last = 0
    for run in _HAN_RUN.finditer(text):
        between = text[last:run.start()]
        full.append(between)
        initials.append(between)
        syllables = lazy_pinyin(run.group())
        full += syllables
        initials += [syllable[:1] for syllable in syllables]
        last = run.end()
    full.append(text[last:])
    initials.append(text[last:])
    return (_NOT_WORD.sub("", "".join(full).lower()),
            _NOT_WORD.sub("", "".join(initials).lower()))


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

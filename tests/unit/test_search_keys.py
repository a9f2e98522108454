"""Search keys: a Chinese name is found by its characters, its pinyin and its initials."""

from __future__ import annotations

import pytest

from domain.search.keys import phone_tail, search_key
from domain.search.service import normalised_query
from domain.shared.errors import ValidationFailed


def test_a_chinese_name_carries_its_full_spelling_and_initials() -> None:
    key = search_key("上海明远精密机械有限公司", "C202612000001")
    for q in ("上海明远", "mingyuan", "shanghaimingyuanjingmijixie", "shmyjm", "c202612000001"):
        assert q in key
    # no stray spelling for text without Chinese, and no repeats
    assert search_key("ACME Ltd") == "acme ltd"
    assert search_key("张三", "张三") == "张三 zhangsan zs"


def test_letters_and_digits_around_the_chinese_stay_in_the_spellings() -> None:
    key = search_key("ABC科技（北京）有限公司")
    assert "abckejibeijing" in key and "abckjbj" in key


def test_the_tail_of_a_phone_is_its_last_four_digits_not_an_extension() -> None:
    assert phone_tail("13812345678") == "5678"
    assert phone_tail("021-66667777-123") == "7777"
    assert phone_tail("+447911123456") == "3456"
    assert phone_tail(None) is None


@pytest.mark.parametrize("raw, expected", [
    ("  MingYuan ", "mingyuan"), ("ｍｉｎｇ　ｙｕａｎ", "ming yuan"), ("１２３４", "1234")])
def test_queries_are_matched_as_the_keys_are_written(raw: str, expected: str) -> None:
    assert normalised_query(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "明", "x" * 101])
def test_queries_too_short_or_too_long_name_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalised_query(raw)
    assert caught.value.problems[0].field == "q"

"""The server's words: every code in both languages, codes kept when a text is stored, and the
language a request asks for."""

from __future__ import annotations

from decimal import Decimal

from domain.shared.catalogue import catalogue, missing_words, render
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.text import Label, Money, Text, literal, negotiate, speaking, text


def test_every_code_has_words_in_chinese_and_english() -> None:
    assert catalogue(), "no package has a texts module"
    assert missing_words() == []


def test_every_template_names_the_same_parameters_in_both_languages() -> None:
    import string
    formatter = string.Formatter()
    differing = []
    for code, words in catalogue().items():
        names = {locale: {name for _, name, _, _ in formatter.parse(template) if name}
                 for locale, template in words.items()}
        if len(set(map(frozenset, names.values()))) > 1:
            differing.append(code)
    assert differing == []


def test_a_validation_error_reads_in_the_language_asked_with_one_code() -> None:
    error = ValidationFailed.of("name", "too_long", max=200)
    assert error.problems[0].code == "too_long"
    assert render(error.problems[0].text, "en") == "must be at most 200 characters"
    assert render(error.problems[0].text, "zh-CN") == "最多 200 个字符"
    with speaking("zh-CN"):
        assert error.detail == "name：最多 200 个字符"


def test_kinds_and_labels_are_named_in_the_readers_language() -> None:
    missing = NotFound("customer", "C2026")
    assert render(missing.text, "zh-CN") == "客户 C2026 不存在"
    assert render(missing.text, "en") == "The customer C2026 was not found"
    assert render(text("x", kind=Label("no_such_kind", "raw")), "en") == "x"


def test_money_is_written_with_its_sign_and_thousands() -> None:
    shown = render(text("validation.field", field="amount", message=literal("x")), "en")
    assert shown == "amount: x"
    assert render(Text("problem.unavailable", {"service": Label("service", "database")}),
                  "zh-CN") == "数据库暂时不可用，请几秒后重试"
    from domain.shared.catalogue import money
    assert money(Decimal("1800000"), "CNY") == "¥1,800,000.00"
    assert money(Decimal("12.5"), "XYZ") == "XYZ 12.50"


def test_a_stored_text_comes_back_with_its_nested_parameters() -> None:
    stored = text("validation.field", field="amount",
                  message=text("too_long", max=3)).to_json()
    again = Text.from_json(stored)
    assert again == text("validation.field", field="amount", message=text("too_long", max=3))
    priced = Text.from_json(text("x", amount=Money(Decimal("5"), "CNY")).to_json())
    assert priced.params["amount"] == Money(Decimal("5"), "CNY")


def test_literal_words_and_unknown_codes_are_shown_as_they_are() -> None:
    assert render(literal("Captured from website"), "zh-CN") == "Captured from website"
    assert render(ValidationFailed.of("x", "is outside your team").problems[0].text,
                  "zh-CN") == "is outside your team"


def test_accept_language_picks_the_best_of_our_languages() -> None:
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert negotiate("en-US,en;q=0.9") == "en"
    assert negotiate("fr-FR, en;q=0.5, zh;q=0.7") == "zh-CN"
    assert negotiate("fr, de") is None
    assert negotiate("zh;q=0, en") == "en"
    assert negotiate(None) is None

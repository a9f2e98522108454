"""The export catalogue: every header and every label in both languages, and the language an
export is written in taken from Accept-Language."""

from __future__ import annotations

import pytest

from domain.contracts.model import ContractStatus
from domain.customers.model import CustomerKind
from domain.customers.values import Grade, Size, Source, Tier
from domain.exports.labels import ENUMS, HEADERS, Locale, header, label
from domain.exports.service import COLUMNS
from domain.exports.sources import ROWS
from domain.leads.model import LeadStatus
from domain.leads.scoring import LeadGrade
from domain.pipeline.model import OpportunityStatus


def test_every_entry_has_both_languages_and_they_differ() -> None:
    for table in (*HEADERS.values(), *ENUMS.values()):
        for key, (zh, en) in table.items():
            assert zh.strip() and en.strip(), key
            assert zh != en, f"{key}: the Chinese label is not a translation"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{key}: {zh} is not Chinese"
            assert en.isascii(), f"{key}: {en} is not English"


def test_every_exported_column_has_a_header() -> None:
    assert set(COLUMNS) == set(HEADERS["customer"])
    for kind, source in ROWS.items():
        assert set(source.columns) == set(HEADERS[kind.value]), kind


@pytest.mark.parametrize(("catalogue", "enum"), [
    ("customer_kind", CustomerKind), ("customer_grade", Grade), ("customer_tier", Tier),
    ("size", Size), ("source", Source), ("lead_status", LeadStatus), ("lead_grade", LeadGrade),
    ("opportunity_status", OpportunityStatus), ("contract_status", ContractStatus)])
def test_every_value_of_an_exported_enum_has_a_label(catalogue: str, enum: type) -> None:
    assert set(ENUMS[catalogue]) == {e.value for e in enum}


def test_labels_in_each_language() -> None:
    assert header("lead", "number", Locale.ZH_CN) == "线索编号"
    assert header("lead", "number", Locale.EN) == "Lead no."
    assert label("lead_status", "converted", Locale.ZH_CN) == "已转化"
    assert label("source", "trade_show", Locale.EN) == "Trade show"
    assert label("source", "unheard_of", Locale.ZH_CN) == "unheard_of", "unknown stays as is"
    assert label("source", None, Locale.EN) == ""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.customers.activity import (
    FollowUp,
    FollowUpMethod,
    GeoCheckIn,
    Task,
    TaskStatus,
)
from domain.customers.model import (
    GRADE_MOVES,
    MAX_CONTACTS,
    MAX_TAGS,
    Contact,
    Customer,
    CustomerKind,
    EventType,
    Grade,
    Tier,
    TierPolicy,
    arrange_contacts,
    check_custom,
    check_legal_name,
    check_tags,
    money,
)
from domain.customers.personal import (
    id_card_check_digit,
    mask_email,
    mask_id_card,
    mask_phone,
    normalise_email,
    normalise_id_card,
    normalise_landline,
    normalise_mobile,
)
from domain.shared.errors import InvalidTransition, ValidationFailed

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
POLICY = TierPolicy()
OWNER = uuid.uuid4()
VALID_ID_X = "11010519491231002X"  # the GB 11643 sample: its check digit is X

DIGITS = "0123456789"
ID_CHECK_CHARS = "0123456789X"


def new_customer(kind: CustomerKind = CustomerKind.COMPANY, **fields: Any) -> Customer:
    return Customer.create(number="C202611000001", name="上海示例科技有限公司", kind=kind,
                           owner_id=OWNER, owner_department_id=None, tier_policy=POLICY,
                           created_by=OWNER, **fields)


def problem_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


def new_followup(**overrides: Any) -> FollowUp:
    kwargs: dict[str, Any] = {
        "customer_id": uuid.uuid4(), "owner_id": OWNER, "method": FollowUpMethod.PHONE,
        "occurred_at": NOW, "summary": "电话沟通二期需求",
    }
    kwargs.update(overrides)
    return FollowUp.create(**kwargs)


def new_task(**overrides: Any) -> Task:
    kwargs: dict[str, Any] = {"title": "发送报价单", "assignee_id": OWNER, "created_by": OWNER}
    kwargs.update(overrides)
    return Task.create(**kwargs)


# ---- personal data: property tests ---------------------------------------------------------

mainland_mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet=DIGITS, min_size=9, max_size=9),
)
separators = st.sampled_from(["", "", " ", "-", "  ", " - ", "--"])


@st.composite
def formatted_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(the bare 11 digits, the same number as a person might type it)."""
    digits = draw(mainland_mobiles)
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "+86-", "0086", "0086 ", "86", "86 "]))
    gaps = draw(st.lists(separators, min_size=len(digits) - 1, max_size=len(digits) - 1))
    body = digits[0] + "".join(gap + d for gap, d in zip(gaps, digits[1:], strict=True))
    lead, trail = draw(st.sampled_from(["", " "])), draw(st.sampled_from(["", " "]))
    return digits, f"{lead}{prefix}{body}{trail}"


@given(formatted_mobiles())
def test_any_formatted_mainland_mobile_normalises_to_its_bare_eleven_digits(
    case: tuple[str, str],
) -> None:
    digits, typed = case
    assert normalise_mobile(typed) == digits


@given(mainland_mobiles)
def test_a_masked_mobile_shows_only_the_first_three_and_last_four_digits(digits: str) -> None:
    masked = mask_phone(normalise_mobile(digits))
    assert masked == digits[:3] + "****" + digits[-4:]
    assert len(masked) == 11
    assert masked != digits and digits not in masked


first17s = st.text(alphabet=DIGITS, min_size=17, max_size=17)


@given(first17s)
def test_seventeen_digits_plus_their_check_digit_are_a_valid_id_card(first17: str) -> None:
    value = first17 + id_card_check_digit(first17)
    assert normalise_id_card(value) == value
    assert normalise_id_card(value.lower()) == value
    assert normalise_id_card(f" {value} ") == value


def _with_check_x(first17: str) -> str:
    """The nearest variant of the first 17 digits whose check digit is X (found by changing
    the last two digits; filtering instead would throw away 10 draws in 11)."""
    for tail in range(100):
        candidate = first17[:15] + f"{(int(first17[15:]) + tail) % 100:02d}"
        if id_card_check_digit(candidate) == "X":
            return candidate
    raise AssertionError("the last two digits reach every check digit")


@given(first17s.map(_with_check_x))
def test_a_lower_case_x_check_digit_is_accepted_and_upper_cased(first17: str) -> None:
    assert normalise_id_card(first17 + "x") == first17 + "X"


@given(first17s, st.sampled_from(ID_CHECK_CHARS))
def test_any_other_check_digit_is_refused_on_the_id_card_field(first17: str, check: str) -> None:
    if check == id_card_check_digit(first17):
        check = ID_CHECK_CHARS[(ID_CHECK_CHARS.index(check) + 1) % len(ID_CHECK_CHARS)]
    with pytest.raises(ValidationFailed) as e:
        normalise_id_card(first17 + check)
    assert problem_field(e) == "id_card_number"


@given(first17s)
def test_a_masked_id_card_keeps_the_first_six_and_last_four_characters(first17: str) -> None:
    value = normalise_id_card(first17 + id_card_check_digit(first17))
    masked = mask_id_card(value)
    assert masked == value[:6] + "********" + value[-4:]
    assert len(masked) == 18
    assert masked != value and value not in masked


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=30)
       .filter(lambda s: s[0] != "." and s[-1] != "." and ".." not in s))
def test_a_masked_email_keeps_one_character_and_the_domain(local: str) -> None:
    email = normalise_email(f"{local}@example.com")
    masked = mask_email(email)
    assert masked == f"{local[0]}***@example.com"
    assert masked != email and email not in masked


# ---- personal data: examples ---------------------------------------------------------------


def test_the_id_card_sample_with_an_x_check_digit_is_accepted_in_lower_case() -> None:
    assert normalise_id_card(VALID_ID_X.lower()) == VALID_ID_X
    assert mask_id_card(VALID_ID_X) == "110105********002X"


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002XX",
                                 "11010519491231002Y", "A1010519491231002X"])
def test_id_cards_of_the_wrong_shape_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_id_card(raw)
    assert problem_field(e) == "id_card_number"


@pytest.mark.parametrize(("raw", "expected"), [
    ("+447911123456", "+447911123456"),
    ("+44 7911 123456", "+447911123456"),
    ("+1 (650) 253-0000", "+16502530000"),
])
def test_foreign_numbers_are_kept_in_e164(raw: str, expected: str) -> None:
    assert normalise_mobile(raw) == expected


def test_a_foreign_number_is_masked_keeping_the_country_prefix_and_last_four() -> None:
    assert mask_phone("+447911123456") == "+44******3456"


@pytest.mark.parametrize("raw", [
    "", "phone", "12345", "1381234567", "138123456789", "23812345678", "12812345678",
    "+86 128 1234 5678", "+86 10 1234 5678", "447911123456", "+44 123", "+999 123456789",
])
def test_invalid_phones_are_refused_with_the_field_name_passed_in(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_mobile(raw, "contacts.0.mobile")
    assert problem_field(e) == "contacts.0.mobile"


def test_an_invalid_phone_defaults_to_the_mobile_field() -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_mobile("12345")
    assert problem_field(e) == "mobile"


@pytest.mark.parametrize(("raw", "expected"), [
    ("(010) 1234 5678", "010-12345678"),
    ("010-12345678", "010-12345678"),
    ("057188886666", "0571-88886666"),
    ("0571-8888666", "0571-8888666"),
    ("021 6666 7777-123", "021-66667777-123"),
    ("021-66667777-123", "021-66667777-123"),
    ("+86 10 1234 5678", "010-12345678"),
])
def test_landlines_are_normalised_to_area_code_dash_number(raw: str, expected: str) -> None:
    assert normalise_landline(raw) == expected


@pytest.mark.parametrize("raw", [
    "12345678", "", "phone", "010-123456", "010-123456789", "010-12345678-1234567",
    "010-12345678-1-2", "010-1234-5678",
])
def test_landlines_without_an_area_code_or_malformed_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_landline(raw, "contacts.2.landline")
    assert problem_field(e) == "contacts.2.landline"


@pytest.mark.parametrize(("value", "expected"), [
    ("010-12345678", "010-****5678"),
    ("0571-8888666", "0571-***8666"),
    ("021-66667777-123", "021-****7777-123"),
])
def test_masked_landlines_hide_all_but_the_last_four_local_digits(value: str,
                                                                  expected: str) -> None:
    assert mask_phone(value) == expected


def test_emails_keep_the_local_part_and_lower_case_the_domain() -> None:
    assert normalise_email(" Li.Lei@Example.COM ") == "Li.Lei@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@b", "two@@example.com", "x y@ex.com",
                                 "@example.com", "li@"])
def test_bad_emails_are_refused_with_the_field_name_passed_in(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_email(raw, "contacts.1.email")
    assert problem_field(e) == "contacts.1.email"


def test_a_masked_email_shows_the_first_character_and_the_domain() -> None:
    assert mask_email("li.lei@example.com") == "l***@example.com"


# ---- customer: name, creation, events ------------------------------------------------------


def test_the_legal_name_is_trimmed_and_inner_whitespace_collapsed() -> None:
    assert check_legal_name("  上海   示例\t科技 有限公司 ") == "上海 示例 科技 有限公司"
    assert new_customer().name == "上海示例科技有限公司"


@pytest.mark.parametrize("name", ["AB", "X" * 200, "  AB  "])
def test_legal_names_of_two_to_two_hundred_characters_are_accepted(name: str) -> None:
    assert check_legal_name(name) == name.strip()


@pytest.mark.parametrize("name", ["", "   ", "A", " A ", "X" * 201])
def test_legal_names_outside_two_to_two_hundred_characters_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        check_legal_name(name)
    assert problem_field(e) == "name"


def test_a_rename_goes_through_the_same_legal_name_check() -> None:
    customer = new_customer()
    with pytest.raises(ValidationFailed) as e:
        customer.update({"name": " A "}, POLICY)
    assert problem_field(e) == "name"
    customer.update({"name": "  北京  示例公司 "}, POLICY)
    assert customer.name == "北京 示例公司"


def test_create_records_a_customer_created_event() -> None:
    customer = new_customer()
    assert customer.version == 1
    assert [e.type for e in customer.events] == [EventType.CREATED] == ["customer.created"]
    event = customer.events[0]
    assert event.aggregate_id == str(customer.id)
    assert event.payload == {"customer_id": str(customer.id), "number": "C202611000001",
                             "owner_id": str(OWNER)}


def test_update_bumps_the_version_and_records_the_changed_fields() -> None:
    customer = new_customer()
    customer.update({"industry": " 制造业 ", "region": "上海"}, POLICY)
    assert customer.industry == "制造业"
    assert customer.version == 2
    assert customer.events[-1].type == "customer.updated"
    assert customer.events[-1].payload["fields"] == ["industry", "region"]
    customer.update({"key_needs": "ERP"}, POLICY)
    assert customer.version == 3


def test_update_refuses_fields_that_are_not_editable() -> None:
    customer = new_customer()
    with pytest.raises(ValidationFailed) as e:
        customer.update({"owner_id": uuid.uuid4()}, POLICY)
    assert problem_field(e) == "owner_id"
    assert customer.version == 1 and len(customer.events) == 1


# ---- customer: grades ----------------------------------------------------------------------

GRADE_PAIRS = [(a, b) for a, b in itertools.product(Grade, Grade) if a != b]


@pytest.mark.parametrize(("start", "to"), GRADE_PAIRS, ids=[f"{a}->{b}" for a, b in GRADE_PAIRS])
def test_a_grade_move_passes_exactly_when_grade_moves_allows_it(start: Grade, to: Grade) -> None:
    customer = new_customer(grade=start)
    if to in GRADE_MOVES[start]:
        customer.update({"grade": to.value}, POLICY)
        assert customer.grade == to
    else:
        with pytest.raises(InvalidTransition):
            customer.update({"grade": to.value}, POLICY)
        with pytest.raises(InvalidTransition):
            customer.move_grade(to)
        assert customer.grade == start


def test_the_lifecycle_runs_potential_intent_closed_churned_and_reactivates() -> None:
    customer = new_customer()
    assert customer.grade == Grade.POTENTIAL
    for grade in (Grade.INTENT, Grade.CLOSED, Grade.CHURNED, Grade.INTENT):
        customer.move_grade(grade)
        assert customer.grade == grade


@pytest.mark.parametrize(("start", "to"), [
    (Grade.POTENTIAL, Grade.CLOSED), (Grade.POTENTIAL, Grade.CHURNED),
    (Grade.INTENT, Grade.POTENTIAL), (Grade.CLOSED, Grade.INTENT),
    (Grade.CHURNED, Grade.CLOSED), (Grade.CHURNED, Grade.POTENTIAL),
])
def test_grades_cannot_be_skipped_or_walked_back(start: Grade, to: Grade) -> None:
    with pytest.raises(InvalidTransition):
        new_customer(grade=start).move_grade(to)


def test_setting_the_grade_it_already_has_is_not_a_move() -> None:
    customer = new_customer(grade=Grade.CLOSED)
    customer.update({"grade": "closed"}, POLICY)
    assert customer.grade == Grade.CLOSED


def test_a_new_customer_may_start_at_any_grade() -> None:
    assert new_customer(grade="churned").grade == Grade.CHURNED


# ---- customer: tier and money --------------------------------------------------------------


@pytest.mark.parametrize(("amount", "tier"), [
    (None, Tier.NORMAL),
    ("0", Tier.NORMAL),
    ("99999.99", Tier.NORMAL),
    ("100000", Tier.KEY),
    ("100000.01", Tier.KEY),
    ("999999.99", Tier.KEY),
    ("1000000", Tier.STRATEGIC),
    ("1000000.00", Tier.STRATEGIC),
    ("1000000.01", Tier.STRATEGIC),
])
def test_the_tier_follows_the_annual_purchase_thresholds(amount: str | None, tier: Tier) -> None:
    assert POLICY.tier_for(None if amount is None else Decimal(amount)) == tier
    assert new_customer(annual_purchase=amount).tier == tier


def test_the_tier_is_recomputed_when_the_annual_purchase_changes() -> None:
    customer = new_customer(annual_purchase="50000")
    assert customer.tier == Tier.NORMAL
    customer.update({"annual_purchase": "1000000"}, POLICY)
    assert customer.tier == Tier.STRATEGIC
    assert customer.annual_purchase == Decimal("1000000.00")
    customer.update({"annual_purchase": "100000"}, POLICY)
    assert customer.tier == Tier.KEY
    customer.update({"annual_purchase": None}, POLICY)
    assert customer.tier == Tier.NORMAL


def test_the_tier_uses_the_organisations_own_thresholds() -> None:
    policy = TierPolicy(strategic_from=Decimal("500"), key_from=Decimal("100"))
    customer = new_customer()
    customer.update({"annual_purchase": "500"}, policy)
    assert customer.tier == Tier.STRATEGIC
    customer.update({"annual_purchase": "499.99"}, policy)
    assert customer.tier == Tier.KEY


@pytest.mark.parametrize(("raw", "expected"), [
    ("1250000", Decimal("1250000.00")),
    ("1250000.5", Decimal("1250000.50")),
    (100, Decimal("100.00")),
    (0.1, Decimal("0.10")),
    (Decimal("12.34"), Decimal("12.34")),
    (None, None),
])
def test_money_accepts_non_negative_amounts_to_the_cent(raw: Any, expected: Decimal) -> None:
    assert money(raw, "annual_purchase") == expected


@pytest.mark.parametrize("raw", [
    "-0.01", -1, "NaN", float("nan"), "Infinity", float("inf"), "1.234", 0.001,
    "abc", "", "12元", "10000000000000000",
])
def test_money_refuses_negatives_nan_too_many_decimals_and_text(raw: Any) -> None:
    with pytest.raises(ValidationFailed) as e:
        money(raw, "annual_purchase")
    assert problem_field(e) == "annual_purchase"


def test_a_bad_annual_purchase_is_refused_on_create() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(annual_purchase="-5")
    assert problem_field(e) == "annual_purchase"


# ---- customer: contacts --------------------------------------------------------------------


def test_the_first_contact_becomes_primary_when_none_is_named() -> None:
    customer = new_customer(contacts=[{"name": "张三"}, {"name": "李四"}])
    assert [c.is_primary for c in customer.contacts] == [True, False]
    assert customer.primary_contact is customer.contacts[0]


def test_a_named_primary_contact_is_kept_and_the_others_are_not_primary() -> None:
    customer = new_customer(contacts=[{"name": "张三"}, {"name": "李四", "is_primary": True}])
    assert [c.is_primary for c in customer.contacts] == [False, True]
    assert customer.primary_contact is not None and customer.primary_contact.name == "李四"


def test_two_primary_contacts_are_refused() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(contacts=[{"name": "张三", "is_primary": True},
                               {"name": "李四", "is_primary": True}])
    assert problem_field(e) == "contacts"


def test_arrange_contacts_marks_the_first_of_contacts_without_a_primary() -> None:
    contacts = [Contact.create(0, name="A"), Contact.create(1, name="B")]
    assert [c.is_primary for c in arrange_contacts(contacts)] == [True, False]
    assert arrange_contacts([]) == []


def test_more_than_the_maximum_contacts_are_refused() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(contacts=[{"name": f"C{i}"} for i in range(MAX_CONTACTS + 1)])
    assert problem_field(e) == "contacts"


def test_contact_details_are_normalised_and_errors_name_the_contact_index() -> None:
    customer = new_customer(contacts=[{"name": " 张三 ", "title": " 采购经理 ",
                                       "mobile": "+86 138-1234-5678",
                                       "landline": "(010) 1234 5678",
                                       "email": "Zhang@Example.COM"}])
    contact = customer.contacts[0]
    assert (contact.name, contact.title) == ("张三", "采购经理")
    assert (contact.mobile, contact.landline, contact.email) == (
        "13812345678", "010-12345678", "Zhang@example.com")
    with pytest.raises(ValidationFailed) as e:
        new_customer(contacts=[{"name": "张三"}, {"name": "李四", "mobile": "12345"}])
    assert problem_field(e) == "contacts.1.mobile"
    with pytest.raises(ValidationFailed) as e:
        new_customer(contacts=[{"name": "  "}])
    assert problem_field(e) == "contacts.0.name"


def test_replacing_the_contacts_re_applies_the_primary_rule() -> None:
    customer = new_customer(contacts=[{"name": "张三"}])
    customer.update({"contacts": [{"name": "王五"}, {"name": "赵六"}]}, POLICY)
    assert [c.name for c in customer.contacts if c.is_primary] == ["王五"]
    customer.update({"contacts": []}, POLICY)
    assert customer.primary_contact is None


# ---- customer: ID card ---------------------------------------------------------------------


def test_a_person_carries_a_normalised_id_card() -> None:
    customer = new_customer(kind=CustomerKind.PERSON, id_card_number=VALID_ID_X.lower())
    assert customer.id_card_number == VALID_ID_X


def test_a_company_cannot_carry_an_id_card() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(kind=CustomerKind.COMPANY, id_card_number=VALID_ID_X)
    assert problem_field(e) == "id_card_number"
    customer = new_customer()
    with pytest.raises(ValidationFailed):
        customer.update({"id_card_number": VALID_ID_X}, POLICY)
    assert customer.id_card_number is None


def test_a_company_becoming_a_person_may_add_an_id_card_in_the_same_edit() -> None:
    customer = new_customer()
    customer.update({"kind": "person", "id_card_number": VALID_ID_X}, POLICY)
    assert (customer.kind, customer.id_card_number) == (CustomerKind.PERSON, VALID_ID_X)


def test_a_person_with_an_id_card_does_not_become_a_company_still_holding_it() -> None:
    customer = new_customer(kind=CustomerKind.PERSON, id_card_number=VALID_ID_X)
    try:
        customer.update({"kind": "company"}, POLICY)
    except ValidationFailed:
        return  # refusing the change keeps the invariant
    assert customer.id_card_number is None, "a company is left holding a personal ID number"


def test_a_wrong_id_card_on_a_person_is_refused_on_its_field() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(kind=CustomerKind.PERSON, id_card_number="110105194912310021")
    assert problem_field(e) == "id_card_number"


# ---- customer: tags and custom fields ------------------------------------------------------


def test_tags_are_trimmed_and_deduplicated_in_order() -> None:
    assert check_tags([" VIP ", "制造", "VIP", "制造"]) == ["VIP", "制造"]
    assert check_tags(["x" * 50]) == ["x" * 50]


@pytest.mark.parametrize("tags", [["a,b"], [""], ["   "], ["x" * 51], [",a"]])
def test_malformed_tags_are_refused(tags: list[str]) -> None:
    with pytest.raises(ValidationFailed) as e:
        check_tags(tags)
    assert problem_field(e) == "tags"


def test_at_most_fifty_distinct_tags() -> None:
    assert len(check_tags([f"t{i}" for i in range(MAX_TAGS)])) == MAX_TAGS
    with pytest.raises(ValidationFailed):
        check_tags([f"t{i}" for i in range(MAX_TAGS + 1)])


def test_custom_fields_accept_text_numbers_booleans_and_lists_of_choices() -> None:
    values = {"erp_system": "SAP", "seats": 120, "ratio": 0.5, "listed": True,
              "channels": ["web", "phone"], "note": None}
    assert check_custom(values) == values


@pytest.mark.parametrize(("values", "field"), [
    ({"Bad-Key": "x"}, "custom.Bad-Key"),
    ({"1st": "x"}, "custom.1st"),
    ({"a" * 51: "x"}, "custom." + "a" * 51),
    ({"nested": {"a": 1}}, "custom.nested"),
    ({"choices": ["a", 1]}, "custom.choices"),
    ({"long": "x" * 2001}, "custom.long"),
])
def test_malformed_custom_fields_are_refused_on_their_key(values: dict[str, Any],
                                                          field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        check_custom(values)
    assert problem_field(e) == field


def test_a_custom_key_with_a_trailing_newline_is_not_a_custom_field_key() -> None:
    with pytest.raises(ValidationFailed) as e:
        check_custom({"erp\n": "SAP"})
    assert problem_field(e) == "custom.erp\n"


# ---- customer: follow-ups, reassignment, deletion ------------------------------------------


def test_record_followup_keeps_the_latest_time_and_its_plan() -> None:
    customer = new_customer()
    later = NOW + timedelta(days=7)
    customer.record_followup(NOW, later, "发送报价单")
    assert customer.last_followup_at == NOW
    assert (customer.next_followup_at, customer.next_followup_plan) == (later, "发送报价单")
    assert customer.first_contact_date == NOW.date()
    assert customer.version == 2

    customer.record_followup(NOW - timedelta(days=3), NOW + timedelta(days=1), "旧计划")
    assert customer.last_followup_at == NOW
    assert (customer.next_followup_at, customer.next_followup_plan) == (later, "发送报价单")

    newest = NOW + timedelta(days=2)
    customer.record_followup(newest, newest + timedelta(days=5), "签约")
    assert customer.last_followup_at == newest
    assert customer.next_followup_plan == "签约"
    # the backdated follow-up is the earliest contact known
    assert customer.first_contact_date == (NOW - timedelta(days=3)).date()


def test_record_followup_keeps_a_first_contact_date_already_known() -> None:
    customer = new_customer(first_contact_date=date(2026, 1, 15))
    customer.record_followup(NOW, None, None)
    assert customer.first_contact_date == date(2026, 1, 15)


def test_reassign_records_the_previous_and_new_owner() -> None:
    customer = new_customer()
    new_owner, department, by = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    customer.reassign(new_owner, department, by)
    assert (customer.owner_id, customer.owner_department_id) == (new_owner, department)
    assert customer.version == 2
    event = customer.events[-1]
    assert event.type == "customer.reassigned"
    assert event.payload["from_owner_id"] == str(OWNER)
    assert event.payload["to_owner_id"] == str(new_owner)
    assert event.payload["by"] == str(by)


def test_reassigning_to_the_current_owner_changes_nothing() -> None:
    customer = new_customer()
    customer.reassign(OWNER, None, None)
    assert customer.version == 1
    assert [e.type for e in customer.events] == ["customer.created"]


def test_a_deleted_customer_refuses_changes_until_restored_once() -> None:
    customer = new_customer()
    customer.delete(NOW)
    assert customer.deleted_at == NOW
    assert customer.events[-1].type == "customer.deleted"
    with pytest.raises(InvalidTransition):
        customer.update({"industry": "制造业"}, POLICY)
    with pytest.raises(InvalidTransition):
        customer.reassign(uuid.uuid4(), None, None)
    with pytest.raises(InvalidTransition):
        customer.record_followup(NOW, None, None)
    with pytest.raises(InvalidTransition):
        customer.delete(NOW)
    assert customer.industry is None

    customer.restore()
    assert customer.deleted_at is None
    assert customer.events[-1].type == "customer.restored"
    with pytest.raises(InvalidTransition):
        customer.restore()
    customer.update({"industry": "制造业"}, POLICY)
    assert customer.industry == "制造业"


def test_a_live_customer_cannot_be_restored() -> None:
    with pytest.raises(InvalidTransition):
        new_customer().restore()


# ---- follow-ups ----------------------------------------------------------------------------


def test_a_visit_may_carry_a_check_in() -> None:
    spot = GeoCheckIn(31.2304, 121.4737, 15)
    followup = new_followup(method=FollowUpMethod.VISIT, check_in=spot)
    assert followup.check_in == spot
    assert followup.events[0].type == "followup.created"


@pytest.mark.parametrize("method", [m for m in FollowUpMethod if m != FollowUpMethod.VISIT])
def test_only_a_visit_carries_a_check_in(method: FollowUpMethod) -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(method=method, check_in=GeoCheckIn(31.2, 121.4))
    assert problem_field(e) == "check_in"


def test_the_next_follow_up_must_not_be_before_the_follow_up() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(next_followup_at=NOW - timedelta(minutes=1))
    assert problem_field(e) == "next_followup_at"
    assert new_followup(next_followup_at=NOW).next_followup_at == NOW


def test_editing_a_follow_up_cannot_move_the_next_follow_up_before_it() -> None:
    followup = new_followup(next_followup_at=NOW + timedelta(days=1))
    with pytest.raises(ValidationFailed) as e:
        followup.update({"next_followup_at": NOW - timedelta(days=1)})
    assert problem_field(e) == "next_followup_at"


def test_a_follow_up_time_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(occurred_at=datetime(2026, 11, 1, 9, 0))
    assert problem_field(e) == "occurred_at"


def test_a_next_follow_up_time_without_a_time_zone_is_refused_as_invalid_input() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(next_followup_at=datetime(2026, 11, 8, 9, 0))
    assert problem_field(e) == "next_followup_at"


def test_a_follow_up_needs_a_summary() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(summary="   ")
    assert problem_field(e) == "summary"


@pytest.mark.parametrize(("lat", "lon", "acc"), [
    (90, 180, 0), (-90, -180, 100_000), (0, 0, None), (31.2304, 121.4737, 15.5),
])
def test_check_ins_inside_the_bounds_are_accepted(lat: float, lon: float,
                                                  acc: float | None) -> None:
    spot = GeoCheckIn(lat, lon, acc)
    assert (spot.latitude, spot.longitude, spot.accuracy_m) == (lat, lon, acc)


@pytest.mark.parametrize(("lat", "lon", "acc", "field"), [
    (90.0001, 0, None, "check_in.latitude"),
    (-91, 0, None, "check_in.latitude"),
    (float("nan"), 0, None, "check_in.latitude"),
    (0, 180.5, None, "check_in.longitude"),
    (0, -181, None, "check_in.longitude"),
    (0, 0, -1, "check_in.accuracy_m"),
    (0, 0, 100_001, "check_in.accuracy_m"),
])
def test_check_ins_outside_the_bounds_are_refused(lat: float, lon: float, acc: float | None,
                                                  field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        GeoCheckIn(lat, lon, acc)
    assert problem_field(e) == field


# ---- tasks ---------------------------------------------------------------------------------


def test_completing_a_task_sets_completed_at() -> None:
    task = new_task()
    assert (task.status, task.completed_at) == (TaskStatus.OPEN, None)
    task.move(TaskStatus.DONE, NOW)
    assert (task.status, task.completed_at) == (TaskStatus.DONE, NOW)


def test_a_done_task_cannot_be_cancelled_only_reopened() -> None:
    task = new_task()
    task.move(TaskStatus.DONE, NOW)
    with pytest.raises(InvalidTransition):
        task.move(TaskStatus.CANCELLED, NOW)
    assert (task.status, task.completed_at) == (TaskStatus.DONE, NOW)
    task.move(TaskStatus.OPEN, NOW + timedelta(hours=1))
    assert (task.status, task.completed_at) == (TaskStatus.OPEN, None)


def test_a_cancelled_task_cannot_be_completed_without_reopening() -> None:
    task = new_task()
    task.move(TaskStatus.CANCELLED, NOW)
    assert task.completed_at is None
    with pytest.raises(InvalidTransition):
        task.move(TaskStatus.DONE, NOW)
    task.move(TaskStatus.OPEN, NOW)
    task.move(TaskStatus.DONE, NOW)
    assert task.completed_at == NOW


def test_task_update_applies_the_status_rules_and_bumps_the_version() -> None:
    task = new_task()
    task.update({"status": "done"}, NOW)
    assert (task.status, task.completed_at, task.version) == (TaskStatus.DONE, NOW, 2)
    with pytest.raises(InvalidTransition):
        task.update({"status": "cancelled"}, NOW)
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize(("related_type", "related_id"), [
    ("customer", None), (None, uuid.uuid4()),
])
def test_a_task_relation_needs_both_its_type_and_its_id(related_type: str | None,
                                                        related_id: uuid.UUID | None) -> None:
    with pytest.raises(ValidationFailed) as e:
        new_task(related_type=related_type, related_id=related_id)
    assert problem_field(e) == "related_id"


def test_a_task_may_relate_to_a_customer() -> None:
    customer_id = uuid.uuid4()
    task = new_task(related_type="customer", related_id=customer_id)
    assert (task.related_type, task.related_id) == ("customer", customer_id)
    assert task.events[0].type == "task.created"


def test_a_merged_away_customer_cannot_be_restored() -> None:
    survivor, loser = new_customer(), new_customer()
    survivor.absorb([loser], {}, POLICY)
    loser.fold_into(survivor.id, NOW)
    with pytest.raises(InvalidTransition):
        loser.restore()

"""The Customer aggregate: legal names, events, the grade's lifecycle, contacts, the ID card,
follow-up dates, reassignment, deletion and merging."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.customers.model import (
    GRADE_MOVES,
    MAX_CONTACTS,
    Contact,
    Customer,
    CustomerKind,
    EventType,
    Grade,
    TierPolicy,
    arrange_contacts,
    check_legal_name,
)
from domain.shared.errors import InvalidTransition, ValidationFailed

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
POLICY = TierPolicy()
OWNER = uuid.uuid4()
VALID_ID_X = "11010519491231002X"  # the GB 11643 sample: its check digit is X


def new_customer(kind: CustomerKind = CustomerKind.COMPANY, **fields: Any) -> Customer:
    return Customer.create(number="C202611000001", name="上海示例科技有限公司", kind=kind,
                           owner_id=OWNER, owner_department_id=None, tier_policy=POLICY,
                           created_by=OWNER, **fields)


def problem_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


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


def test_a_merged_away_customer_cannot_be_restored() -> None:
    survivor, loser = new_customer(), new_customer()
    survivor.absorb([loser], {}, POLICY)
    loser.fold_into(survivor.id, NOW)
    with pytest.raises(InvalidTransition):
        loser.restore()

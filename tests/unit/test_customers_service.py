"""The customer use cases over in-memory fakes: creating, editing (PATCH) with contacts and
custom values, a paid contract closing the deal, the industry and region lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.customers.commands import ContactDraft, CustomerChanges, NewCustomer
from domain.customers.model import CustomerKind, Grade, Tier
from domain.customers.service import CustomerService
from domain.fields_and_tags.model import CustomField, FieldType
from domain.shared.authz import Role
from domain.shared.catalogue import render
from domain.shared.commands import UNSET
from domain.shared.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.unit.customers_helpers import (
    CARD,
    MOBILE,
    Org,
    audit,
    company,
    events,
    failed_field,
)

# ---- creating -----------------------------------------------------------------------------


async def test_a_rep_creates_a_customer_it_owns(svc: CustomerService, org: Org) -> None:
    c = await svc.create(org.actor("rep"), company(
        industry="manufacturing", annual_purchase=Decimal("1200000"), tags=["vip", "vip "],
        contacts=[ContactDraft(name="张三", mobile="+86 138 1234 5678")]))
    assert c.number == "C202611000001"
    assert (c.owner_id, c.owner_department_id) == (org.users["rep"].id,
                                                   org.departments["east"].id)
    assert c.tier == Tier.STRATEGIC and c.tags == ["vip"]
    assert c.contacts[0].mobile == MOBILE and c.contacts[0].is_primary
    assert [e.type for e in events(org.uow)] == ["customer.created"]
    assert {t.name for t in org.uow.state.table("tags").values()} == {"vip"}
    timeline = await svc.timeline(org.actor("rep"), c.id, PageRequest())
    assert [e.kind for e in timeline.items] == ["created"]


async def test_creation_is_audited_with_personal_data_masked(svc: CustomerService,
                                                            org: Org) -> None:
    c = await svc.create(org.actor("rep"), NewCustomer(
        name="王小明", kind=CustomerKind.PERSON, id_card_number=CARD,
        contacts=[ContactDraft(name="王小明", mobile=MOBILE, email="wang@example.com")]))
    (entry,) = audit(org.uow, "customer.created")
    assert entry.target_id == str(c.id) and entry.ip == "198.51.100.7"
    assert entry.diff["id_card_number"] == [None, "110105********002X"]
    assert entry.diff["contacts"][1][0]["mobile"] == "138****5678"
    assert MOBILE not in str(entry.diff) and CARD not in str(entry.diff)


async def test_a_phone_another_customer_has_is_a_conflict_unless_allowed(
    svc: CustomerService, org: Org
) -> None:
    first = await svc.create(org.actor("rep"), company(
        contacts=[ContactDraft(name="张三", mobile=MOBILE)]))
    again = company("上海明远精密机械制造二厂有限公司",
                    contacts=[ContactDraft(name="李四", mobile=MOBILE)])
    with pytest.raises(Conflict) as seen:
        await svc.create(org.actor("rep"), again)
    assert seen.value.existing_id == first.id  # the caller sees it: named, to merge
    with pytest.raises(Conflict) as hidden:
        await svc.create(org.actor("north_rep"), again)
    assert hidden.value.existing_id is None  # out of sight: not even its id
    assert (await svc.create(org.actor("rep"), again, allow_duplicate=True)).id != first.id


@pytest.mark.parametrize(("who", "owner", "refusal"), [
    ("rep", "rep2", PermissionDenied),  # a rep keeps what it creates
    ("manager", "north_rep", ValidationFailed),  # outside the manager's team
])
async def test_who_may_give_a_new_customer_to_whom(svc: CustomerService, org: Org, who: str,
                                                   owner: str, refusal: type[Exception]) -> None:
    with pytest.raises(refusal) as e:
        await svc.create(org.actor(who), company(owner_id=org.users[owner].id))
    if isinstance(e.value, ValidationFailed):
        assert failed_field(e.value) == "owner_id"
    made = await svc.create(org.actor("manager"), company(owner_id=org.users["shanghai_rep"].id))
    assert made.owner_department_id == org.departments["shanghai"].id


async def test_an_integration_names_the_owner_and_only_an_active_one(svc: CustomerService,
                                                                     org: Org) -> None:
    erp = org.integration()
    with pytest.raises(ValidationFailed) as missing:
        await svc.create(erp, company())
    assert failed_field(missing.value) == "owner_id"
    gone = org.add_user("gone", Role.SALES_REP, "east", active=False)
    with pytest.raises(ValidationFailed) as inactive:
        await svc.create(erp, company(owner_id=gone.id))
    assert failed_field(inactive.value) == "owner_id"
    made = await svc.create(erp, company(owner_id=org.users["north_rep"].id))
    assert made.created_by == erp.principal.id  # type: ignore[union-attr]


async def test_read_only_roles_cannot_create(svc: CustomerService, org: Org) -> None:
    for who in ("finance", "executive"):
        with pytest.raises(PermissionDenied):
            await svc.create(org.actor(who), company())
    assert org.uow.state.table("customers") == {}


@pytest.mark.parametrize(("command", "field"), [
    (company("明远"), "name"),  # an abbreviation, not the legal name
    (company(industry="astrology"), "industry"),
    (company(region="mars"), "region"),
    (company(annual_purchase=Decimal("1.234")), "annual_purchase"),
    (company(id_card_number=CARD), "id_card_number"),  # a company has no ID card
    (company(custom={"undefined_field": "x"}), "custom.undefined_field"),
    (company(contacts=[ContactDraft(name="x", mobile="12345")]), "contacts.0.mobile"),
    (company(contacts=[ContactDraft(name="a"), ContactDraft(name="b", landline="12345678")]),
     "contacts.1.landline"),
    (company(contacts=[ContactDraft(name="a", is_primary=True),
                       ContactDraft(name="b", is_primary=True)]), "contacts"),
    (NewCustomer(name="王小明", kind=CustomerKind.PERSON, id_card_number="110101199003071234"),
     "id_card_number"),  # a wrong check digit
])
async def test_bad_input_names_the_field_and_creates_nothing(
    svc: CustomerService, org: Org, command: NewCustomer, field: str
) -> None:
    with pytest.raises(ValidationFailed) as e:
        await svc.create(org.actor("rep"), command)
    assert failed_field(e.value) == field
    assert org.uow.state.table("customers") == {} and events(org.uow) == []


async def test_custom_values_are_checked_against_their_definitions(svc: CustomerService,
                                                                   org: Org) -> None:
    fields = org.uow.state.table("custom_fields")
    for f in (CustomField.define(entity="customer", key="employees", label="Employees",
                                 type=FieldType.NUMBER),
              CustomField.define(entity="customer", key="erp_code", label="ERP code",
                                 type=FieldType.TEXT, required=True)):
        fields[f.id] = f
    with pytest.raises(ValidationFailed) as missing:
        await svc.create(org.actor("rep"), company(custom={"employees": 12}))
    assert failed_field(missing.value) == "custom.erp_code"
    with pytest.raises(ValidationFailed) as wrong:
        await svc.create(org.actor("rep"), company(custom={"employees": "many",
                                                           "erp_code": "A-1"}))
    assert failed_field(wrong.value) == "custom.employees"
    c = await svc.create(org.actor("rep"), company(custom={"employees": "12", "erp_code": "A"}))
    assert c.custom == {"employees": 12, "erp_code": "A"}
    # an edit that leaves the required field out keeps it; one that empties it is refused
    edited = await svc.update(org.actor("rep"), c.id,
                              CustomerChanges(custom={"erp_code": "B"}), None)
    assert edited.custom == {"erp_code": "B"}
    with pytest.raises(ValidationFailed) as emptied:
        await svc.update(org.actor("rep"), c.id, CustomerChanges(custom={"erp_code": ""}), None)
    assert failed_field(emptied.value) == "custom.erp_code"


# ---- editing (PATCH) ----------------------------------------------------------------------


async def test_a_patch_changes_what_was_sent_and_clears_what_was_sent_as_null(
    svc: CustomerService, org: Org
) -> None:
    c = await svc.create(org.actor("rep"), company(
        industry="manufacturing", region="east", key_needs="二期产线", tags=["vip"]))
    edited = await svc.update(org.actor("rep"), c.id,
                              CustomerChanges(industry=None, tags=["vip", "b2b"]), c.version)
    assert edited.industry is None and edited.tags == ["vip", "b2b"]
    assert (edited.region, edited.key_needs) == ("east", "二期产线")  # not sent: untouched
    assert edited.version == c.version + 1
    assert events(org.uow, "customer.updated")[-1].payload["fields"] == ["industry", "tags"]
    assert audit(org.uow, "customer.updated")[-1].diff == {
        "industry": ["manufacturing", None], "tags": [["vip"], ["vip", "b2b"]]}


@pytest.mark.parametrize("field", ["name", "kind", "currency"])
async def test_required_fields_cannot_be_emptied(svc: CustomerService, org: Org,
                                                 field: str) -> None:
    c = await svc.create(org.actor("rep"), company())
    with pytest.raises(ValidationFailed) as e:
        await svc.update(org.actor("rep"), c.id, CustomerChanges(**{field: None}), None)
    assert failed_field(e.value) == field


async def test_a_stale_edit_is_refused_and_changes_nothing(svc: CustomerService,
                                                           org: Org) -> None:
    c = await svc.create(org.actor("rep"), company(key_needs="a"))
    await svc.update(org.actor("rep"), c.id, CustomerChanges(key_needs="b"), c.version)
    with pytest.raises(StaleVersion):
        await svc.update(org.actor("rep"), c.id, CustomerChanges(key_needs="c"), c.version)
    assert (await svc.get(org.actor("rep"), c.id)).key_needs == "b"


async def test_a_refused_edit_leaves_the_customer_as_it_was(svc: CustomerService,
                                                            org: Org) -> None:
    c = await svc.create(org.actor("rep"), company(key_needs="a"))
    with pytest.raises(InvalidTransition):  # potential cannot jump to closed
        await svc.update(org.actor("rep"), c.id,
                         CustomerChanges(key_needs="b", grade=Grade.CLOSED), None)
    kept = await svc.get(org.actor("rep"), c.id)
    assert (kept.key_needs, kept.grade, kept.version) == ("a", Grade.POTENTIAL, c.version)
    moved = await svc.update(org.actor("rep"), c.id, CustomerChanges(grade=Grade.INTENT), None)
    assert moved.grade == Grade.INTENT


async def test_contacts_keep_their_own_ids_and_others_get_new_ones(svc: CustomerService,
                                                                   org: Org) -> None:
    c = await svc.create(org.actor("rep"), company(contacts=[
        ContactDraft(name="张三", mobile=MOBILE), ContactDraft(name="李四")]))
    zhang, li = c.contacts
    stranger = (await svc.create(org.actor("rep"), company(
        "杭州西湖电子商务有限公司", contacts=[ContactDraft(name="王五")]))).contacts[0]
    edited = await svc.update(org.actor("rep"), c.id, CustomerChanges(contacts=[
        ContactDraft(id=li.id, name="李四", is_primary=True),
        ContactDraft(id=li.id, name="李四 (again)"),
        ContactDraft(id=stranger.id, name="王五"),
        ContactDraft(name="赵六", email="zhao@example.com")]), None)
    ids = [x.id for x in edited.contacts]
    assert ids[0] == li.id and zhang.id not in ids and stranger.id not in ids
    assert len(set(ids)) == 4 and [x.is_primary for x in edited.contacts] == [True] + [False] * 3
    diff = audit(org.uow, "customer.updated")[-1].diff["contacts"]
    assert diff[0][0]["mobile"] == "138****5678"


async def test_unchanged_fields_sent_as_unset_are_not_edits(svc: CustomerService,
                                                            org: Org) -> None:
    c = await svc.create(org.actor("rep"), company(key_needs="a"))
    edited = await svc.update(org.actor("rep"), c.id, CustomerChanges(key_needs=UNSET), None)
    assert edited.key_needs == "a" and audit(org.uow, "customer.updated")[-1].diff == {}


# ---- a paid contract, picklists -----------------------------------------------------------


async def test_a_paid_contract_closes_the_deal_once(svc: CustomerService, org: Org) -> None:
    c = await svc.create(org.actor("rep"), company())
    async with org.uow() as uow:
        await svc.close_deal(uow, org.actor("finance"), c.id)
        await uow.commit()
    assert (await svc.get(org.actor("rep"), c.id)).grade == Grade.CLOSED
    async with org.uow() as uow:
        await svc.close_deal(uow, org.actor("finance"), c.id)
        await uow.commit()
    assert len(events(org.uow, "customer.updated")) == 1
    (entry,) = audit(org.uow, "customer.updated")
    assert entry.diff["grade"] == ["potential", "closed"]
    timeline = await svc.timeline(org.actor("rep"), c.id, PageRequest())
    assert render(timeline.items[0].summary, "en") == "Grade potential → closed (contract paid)"


async def test_picklists_are_read_by_all_and_extended_by_admins(svc: CustomerService,
                                                                org: Org) -> None:
    assert "manufacturing" in [entry.value for entry in await svc.picklist(org.actor("rep"),
                                                                           "industry")]
    with pytest.raises(NotFound):
        await svc.picklist(org.actor("rep"), "colours")
    with pytest.raises(PermissionDenied):
        await svc.add_picklist_value(org.actor("manager"), "industry", "robotics", "机器人")
    await svc.add_picklist_value(org.actor("admin"), "industry", "robotics", "机器人")
    assert audit(org.uow, "picklist.value_added")[0].diff["value"] == [None, "robotics"]
    c = await svc.create(org.actor("rep"), company(industry="robotics"))
    assert c.industry == "robotics"

"""Custom fields, tags and bulk tagging, segments: the use cases over in-memory fakes."""

from __future__ import annotations

import uuid

import pytest

from domain.customers.commands import CustomerChanges, NewCustomer
from domain.customers.model import Customer, CustomerKind
from domain.customers.queries import CustomerFilter
from domain.customers.service import CustomerService
from domain.fields_and_tags.commands import FieldChanges, NewSegment, SegmentChanges, TagChanges
from domain.fields_and_tags.model import FieldType, SegmentSharing, TagCategory
from domain.fields_and_tags.service import CatalogService
from domain.shared.authz import Scope
from domain.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.shared import FakeClock
from tests.unit.customers_helpers import Org, audit, failed_field

MANUFACTURERS = {"industry": "manufacturing"}


@pytest.fixture
def customers(org: Org) -> CustomerService:
    return CustomerService(uow=org.uow, clock=FakeClock())


@pytest.fixture
def catalog(org: Org, customers: CustomerService) -> CatalogService:
    return CatalogService(uow=org.uow, clock=FakeClock(), customers=customers)


async def customer(customers: CustomerService, org: Org, who: str, name: str,
                   **fields: object) -> Customer:
    command = NewCustomer(name=name, kind=CustomerKind.COMPANY, **fields)  # type: ignore[arg-type]
    return await customers.create(org.actor(who), command)


def tags_of(org: Org, c: Customer) -> list[str]:
    return list(org.uow.state.table("customers")[c.id].tags)


def tag_edits(org: Org) -> list[str]:
    """The customers of each `customer.updated` of the tags alone, in the order emitted."""
    return [e.payload["customer_id"] for e in org.uow.state.outbox.values()
            if e.type == "customer.updated" and e.payload["fields"] == ["tags"]]


# ---- custom fields ------------------------------------------------------------------------


async def test_admins_define_custom_fields_that_customers_then_carry(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    f = await catalog.define_field(org.actor("admin"), key="tier_code", label=" Tier code ",
                                   type=FieldType.SINGLE_CHOICE, options=["A", "B", " "])
    assert (f.label, f.options) == ("Tier code", ["A", "B"])
    assert audit(org.uow, "custom_field.created")[0].diff == {
        "key": [None, "tier_code"], "type": [None, "single_choice"]}
    assert [x.key for x in await catalog.custom_fields(org.actor("rep"))] == ["tier_code"]
    with pytest.raises(ValidationFailed) as e:
        await customer(customers, org, "rep", "上海甲有限公司", custom={"tier_code": "C"})
    assert failed_field(e.value) == "custom.tier_code"
    c = await customer(customers, org, "rep", "上海甲有限公司", custom={"tier_code": "B"})
    assert c.custom == {"tier_code": "B"}


async def test_defining_a_field_is_for_admins_with_a_fresh_valid_key(catalog: CatalogService,
                                                                     org: Org) -> None:
    with pytest.raises(PermissionDenied):
        await catalog.define_field(org.actor("manager"), key="erp", label="ERP",
                                   type=FieldType.TEXT)
    await catalog.define_field(org.actor("admin"), key="erp", label="ERP", type="text")
    with pytest.raises(Conflict):
        await catalog.define_field(org.actor("admin"), key="erp", label="ERP 2",
                                   type=FieldType.TEXT)
    for kwargs, field in (({"key": "Bad Key"}, "key"),
                          ({"type": FieldType.MULTI_CHOICE}, "options"),
                          ({"options": ["x"]}, "options"), ({"label": " "}, "label"),
                          ({"entity": "lead"}, "entity")):
        args = {"key": "other", "label": "Other", "type": FieldType.TEXT, **kwargs}
        with pytest.raises(ValidationFailed) as e:
            await catalog.define_field(org.actor("admin"), **args)  # type: ignore[arg-type]
        assert failed_field(e.value) == field


async def test_changing_a_field_relabels_requires_or_retires_it(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    f = await catalog.define_field(org.actor("admin"), key="erp", label="ERP",
                                   type=FieldType.TEXT)
    changed = await catalog.change_field(org.actor("admin"), f.id,
                                         FieldChanges(label="ERP code", required=True), f.version)
    assert (changed.label, changed.required, changed.active) == ("ERP code", True, True)
    assert audit(org.uow, "custom_field.updated")[0].diff == {
        "label": ["ERP", "ERP code"], "required": [False, True]}
    with pytest.raises(ValidationFailed) as required:
        await customer(customers, org, "rep", "上海甲有限公司")
    assert failed_field(required.value) == "custom.erp"
    with pytest.raises(StaleVersion):
        await catalog.change_field(org.actor("admin"), f.id, FieldChanges(active=False),
                                   f.version)
    await catalog.change_field(org.actor("admin"), f.id, FieldChanges(active=False), None)
    with pytest.raises(ValidationFailed) as retired:
        await customer(customers, org, "rep", "上海甲有限公司", custom={"erp": "A-1"})
    assert failed_field(retired.value) == "custom.erp"
    with pytest.raises(NotFound):
        await catalog.change_field(org.actor("admin"), uuid.uuid4(), FieldChanges(), None)
    with pytest.raises(PermissionDenied):
        await catalog.change_field(org.actor("rep"), f.id, FieldChanges(label="x"), None)


# ---- tags ---------------------------------------------------------------------------------


async def test_the_catalogue_holds_created_tags_and_those_met_on_customers(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    tag = await catalog.create_tag(org.actor("rep"), " 重点客户 ", TagCategory.VALUE, "#FA541C")
    assert (tag.name, tag.colour) == ("重点客户", "#fa541c")
    with pytest.raises(Conflict):
        await catalog.create_tag(org.actor("rep"), "重点客户", TagCategory.CUSTOM, None)
    with pytest.raises(ValidationFailed) as bad:
        await catalog.create_tag(org.actor("rep"), "a,b", TagCategory.CUSTOM, None)
    assert failed_field(bad.value) == "name"
    await customer(customers, org, "rep", "上海甲有限公司", tags=["b2b"])
    listed = {t.name: t.category for t in await catalog.tags(org.actor("finance"))}
    assert listed == {"重点客户": TagCategory.VALUE, "b2b": TagCategory.CUSTOM}
    assert audit(org.uow, "tag.created")[0].diff == {"name": [None, "重点客户"]}


async def test_renaming_or_deleting_a_tag_reaches_every_customer(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    a = await customer(customers, org, "rep", "上海甲有限公司", tags=["vip", "b2b"])
    b = await customer(customers, org, "north_rep", "北京乙有限公司", tags=["vip"])
    vip = next(t for t in await catalog.tags(org.actor("admin")) if t.name == "vip")
    with pytest.raises(PermissionDenied):
        await catalog.change_tag(org.actor("manager"), vip.id, TagChanges(name="VIP"))
    with pytest.raises(Conflict):
        await catalog.change_tag(org.actor("admin"), vip.id, TagChanges(name="b2b"))
    renamed = await catalog.change_tag(org.actor("admin"), vip.id,
                                       TagChanges(name="VIP", colour="#000000"))
    assert (renamed.name, renamed.category) == ("VIP", TagCategory.CUSTOM)  # not sent: kept
    assert (tags_of(org, a), tags_of(org, b)) == (["VIP", "b2b"], ["VIP"])
    # each customer edited in bulk emits what an edit of its tags would
    assert tag_edits(org) == [str(a.id), str(b.id)]
    assert await catalog.delete_tag(org.actor("admin"), vip.id) == 2
    assert (tags_of(org, a), tags_of(org, b)) == (["b2b"], [])
    assert tag_edits(org) == [str(a.id), str(b.id)] * 2
    assert audit(org.uow, "tag.deleted")[0].diff == {"name": ["VIP", None],
                                                     "customers": [2, None]}
    with pytest.raises(NotFound):
        await catalog.delete_tag(org.actor("admin"), vip.id)


async def test_bulk_tagging_reaches_only_the_customers_the_caller_sees(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    mine = await customer(customers, org, "rep", "上海甲有限公司", industry="manufacturing",
                          tags=["old"])
    other = await customer(customers, org, "north_rep", "北京乙有限公司",
                           industry="manufacturing", tags=["old"])
    software = await customer(customers, org, "rep", "上海丙有限公司", industry="software")
    changed = await catalog.retag(org.actor("rep"), CustomerFilter(industry="manufacturing"),
                                  ["重点", "重点"], ["old"])
    assert changed == 1
    assert (tags_of(org, mine), tags_of(org, other), tags_of(org, software)) == (
        ["重点"], ["old"], [])
    assert tag_edits(org) == [str(mine.id)]
    assert "重点" in {t.name for t in await catalog.tags(org.actor("rep"))}
    assert audit(org.uow, "customers.retagged")[0].diff["customers"] == [None, 1]
    with pytest.raises(ValidationFailed) as e:
        await catalog.retag(org.actor("rep"), CustomerFilter(), ["a,b"], [])
    assert failed_field(e.value) == "name"
    with pytest.raises(PermissionDenied):
        await catalog.retag(org.actor("finance"), CustomerFilter(), ["x"], [])


# ---- segments -----------------------------------------------------------------------------


async def test_a_segment_counts_and_lists_live_within_the_callers_sight(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    await customer(customers, org, "rep", "上海甲有限公司", industry="manufacturing")
    await customer(customers, org, "north_rep", "北京乙有限公司", industry="manufacturing")
    seg = await catalog.create_segment(org.actor("rep"), NewSegment("制造业", MANUFACTURERS))
    assert seg.owner_id == org.users["rep"].id and seg.sharing == SegmentSharing.PRIVATE
    assert await catalog.segment_count(org.actor("rep"), seg.id) == 1
    members = await catalog.segment_members(org.actor("rep"), seg.id, PageRequest())
    assert [c.name for c in members.items] == ["上海甲有限公司"]
    await customer(customers, org, "rep", "上海丙有限公司", industry="manufacturing")
    assert await catalog.segment_count(org.actor("rep"), seg.id) == 2
    assert audit(org.uow, "segment.created")[0].diff == {"name": [None, "制造业"],
                                                         "object": [None, "customer"]}


async def test_a_private_segment_is_its_owners_alone(catalog: CatalogService,
                                                     org: Org) -> None:
    seg = await catalog.create_segment(org.actor("rep"), NewSegment("mine", MANUFACTURERS))
    for who in ("rep2", "manager"):
        with pytest.raises(NotFound):
            await catalog.get_segment(org.actor(who), seg.id)
    assert (await catalog.get_segment(org.actor("admin"), seg.id)).id == seg.id
    listed = await catalog.list_segments(org.actor("rep2"), PageRequest())
    assert listed.items == []
    with pytest.raises(PermissionDenied):
        await catalog.create_segment(org.integration(Scope.CUSTOMERS_READ),
                                     NewSegment("erp", MANUFACTURERS))


async def test_a_segment_shared_with_a_department_reaches_it_and_those_below(
    catalog: CatalogService, org: Org
) -> None:
    east = org.departments["east"].id
    seg = await catalog.create_segment(org.actor("manager"), NewSegment(
        "East's", MANUFACTURERS, SegmentSharing.DEPARTMENT, east))
    for who in ("rep", "shanghai_rep"):
        assert [s.id for s in (await catalog.list_segments(
            org.actor(who), PageRequest())).items] == [seg.id]
    with pytest.raises(NotFound):
        await catalog.get_segment(org.actor("north_rep"), seg.id)
    with pytest.raises(PermissionDenied):  # seen, but only its owner changes it
        await catalog.update_segment(org.actor("rep"), seg.id, SegmentChanges(name="x"), None)
    with pytest.raises(PermissionDenied):
        await catalog.delete_segment(org.actor("rep"), seg.id)


@pytest.mark.parametrize(("command", "refusal", "field"), [
    (NewSegment("x", {"colour": "red"}), ValidationFailed, "filter.colour"),
    (NewSegment("x", {"no_followup_days": 0}), ValidationFailed, "filter.no_followup_days"),
    (NewSegment(" ", MANUFACTURERS), ValidationFailed, "name"),
    (NewSegment("x", MANUFACTURERS, SegmentSharing.DEPARTMENT), ValidationFailed,
     "department_id"),
    (NewSegment("x", MANUFACTURERS, SegmentSharing.DEPARTMENT, uuid.uuid4()), ValidationFailed,
     "department_id"),
    (NewSegment("x", MANUFACTURERS, SegmentSharing.DEPARTMENT, "north"), PermissionDenied, ""),
])
async def test_a_segment_that_would_not_run_or_share_is_refused(
    catalog: CatalogService, org: Org, command: NewSegment, refusal: type[Exception], field: str
) -> None:
    if command.department_id == "north":
        command = NewSegment(command.name, command.filter, command.sharing,
                             org.departments["north"].id)
    with pytest.raises(refusal) as e:
        await catalog.create_segment(org.actor("rep"), command)
    if isinstance(e.value, ValidationFailed):
        assert failed_field(e.value) == field
    assert org.uow.state.table("segments") == {}


async def test_changing_a_segment_keeps_what_was_not_sent(catalog: CatalogService,
                                                          org: Org) -> None:
    east = org.departments["east"].id
    seg = await catalog.create_segment(org.actor("manager"), NewSegment(
        "East's", MANUFACTURERS, SegmentSharing.DEPARTMENT, east))
    renamed = await catalog.update_segment(org.actor("manager"), seg.id,
                                           SegmentChanges(name="East 2"), seg.version)
    assert (renamed.name, renamed.filter, renamed.department_id) == (
        "East 2", MANUFACTURERS, east)
    private = await catalog.update_segment(org.actor("manager"), seg.id, SegmentChanges(
        sharing=SegmentSharing.PRIVATE), None)
    assert private.department_id is None
    with pytest.raises(PermissionDenied):  # a department below the manager's is not its own
        await catalog.update_segment(org.actor("manager"), seg.id, SegmentChanges(
            sharing=SegmentSharing.DEPARTMENT, department_id=org.departments["shanghai"].id),
            None)
    reshared = await catalog.update_segment(org.actor("manager"), seg.id, SegmentChanges(
        sharing=SegmentSharing.DEPARTMENT, department_id=org.departments["hq"].id), None)
    assert reshared.department_id == org.departments["hq"].id
    with pytest.raises(ValidationFailed) as bad:
        await catalog.update_segment(org.actor("manager"), seg.id,
                                     SegmentChanges(filter={"grade": "gold"}), None)
    assert failed_field(bad.value) == "filter.grade"
    with pytest.raises(StaleVersion):
        await catalog.update_segment(org.actor("manager"), seg.id, SegmentChanges(name="x"),
                                     seg.version)
    assert audit(org.uow, "segment.updated")[0].diff == {"name": ["East's", "East 2"]}
    await catalog.delete_segment(org.actor("manager"), seg.id)
    with pytest.raises(NotFound):
        await catalog.get_segment(org.actor("manager"), seg.id)
    assert audit(org.uow, "segment.deleted")


async def test_a_segments_members_follow_edits_of_its_customers(
    catalog: CatalogService, customers: CustomerService, org: Org
) -> None:
    c = await customer(customers, org, "rep", "上海甲有限公司", industry="software")
    seg = await catalog.create_segment(org.actor("rep"), NewSegment("制造业", MANUFACTURERS))
    assert await catalog.segment_count(org.actor("rep"), seg.id) == 0
    await customers.update(org.actor("rep"), c.id,
                           CustomerChanges(industry="manufacturing"), None)
    assert await catalog.segment_count(org.actor("rep"), seg.id) == 1
    flt = await catalog.segment_filter(org.actor("rep"), seg.id)
    assert flt == CustomerFilter(industry="manufacturing")

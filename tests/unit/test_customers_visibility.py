"""Who sees which customers, over in-memory fakes: a rep its own, a manager its department
subtree, the other roles all; reassigning, the recycle bin, revealing personal data."""

from __future__ import annotations

import json

import pytest

from domain.customers.commands import ContactDraft, CustomerChanges, NewCustomer
from domain.customers.model import CustomerKind
from domain.customers.queries import CustomerFilter
from domain.customers.service import CustomerService
from domain.shared.errors import (
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
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


async def visible_names(svc: CustomerService, org: Org, who: str) -> set[str]:
    page = await svc.list(org.actor(who), CustomerFilter(), PageRequest())
    return {c.name for c in page.items}


# ---- who sees what ------------------------------------------------------------------------


async def test_a_rep_sees_its_own_a_manager_its_subtree_admins_everything(
    svc: CustomerService, org: Org
) -> None:
    names = {"rep": "上海甲有限公司", "rep2": "上海乙有限公司", "shanghai_rep": "上海丙有限公司",
             "north_rep": "北京丁有限公司"}
    for who, name in names.items():
        await svc.create(org.actor(who), company(name))
    assert await visible_names(svc, org, "rep") == {names["rep"]}
    assert await visible_names(svc, org, "manager") == {
        names["rep"], names["rep2"], names["shanghai_rep"]}
    assert await visible_names(svc, org, "north_manager") == {names["north_rep"]}
    for who in ("admin", "finance", "executive"):
        assert await visible_names(svc, org, who) == set(names.values())
    page = await svc.list(org.integration(), CustomerFilter(), PageRequest())
    assert len(page.items) == 4


async def test_a_record_out_of_sight_is_a_hidden_404_on_every_use_case(
    svc: CustomerService, org: Org
) -> None:
    c = await svc.create(org.actor("north_rep"), company())
    rep = org.actor("rep")
    attempts = [svc.get(rep, c.id), svc.update(rep, c.id, CustomerChanges(key_needs="x"), None),
                svc.timeline(rep, c.id, PageRequest()), svc.reveal(org.actor("manager"), c.id),
                svc.duplicates.find(rep, c.id)]
    for attempt in attempts:
        with pytest.raises(HiddenRecord):
            await attempt
    with pytest.raises(NotFound) as unknown:
        await svc.get(rep, org.users["rep"].id)  # no customer has this id
    assert not isinstance(unknown.value, HiddenRecord)


async def test_list_documents_are_the_visible_page_trimmed_to_the_fields_asked(
    svc: CustomerService, org: Org
) -> None:
    mine = await svc.create(org.actor("rep"), company("上海甲有限公司"))
    await svc.create(org.actor("north_rep"), company("北京丁有限公司"))
    page = await svc.list_documents(org.actor("rep"), CustomerFilter(), PageRequest(),
                                    frozenset({"id", "name"}))
    assert [json.loads(doc) for doc in page.items] == [{"id": str(mine.id),
                                                        "name": "上海甲有限公司"}]


async def test_referenced_customers_are_404_out_of_sight_and_422_when_unknown(
    svc: CustomerService, org: Org
) -> None:
    mine = await svc.create(org.actor("rep"), company())
    theirs = await svc.create(org.actor("north_rep"), company("北京丁有限公司"))
    p = org.actor("rep").principal
    assert p is not None
    async with org.uow() as uow:
        assert (await svc.referenced(uow, p, mine.id)).id == mine.id
        with pytest.raises(HiddenRecord):
            await svc.referenced(uow, p, theirs.id)
        with pytest.raises(ValidationFailed) as unknown:
            await svc.referenced(uow, p, org.users["rep"].id)
    assert failed_field(unknown.value) == "customer_id"


# ---- reassigning --------------------------------------------------------------------------


async def test_a_manager_reassigns_within_its_team_and_a_rep_cannot(svc: CustomerService,
                                                                    org: Org) -> None:
    c = await svc.create(org.actor("rep"), company())
    with pytest.raises(PermissionDenied):
        await svc.update(org.actor("rep"), c.id,
                         CustomerChanges(owner_id=org.users["rep2"].id), None)
    with pytest.raises(ValidationFailed) as outside:
        await svc.update(org.actor("manager"), c.id,
                         CustomerChanges(owner_id=org.users["north_rep"].id), None)
    assert failed_field(outside.value) == "owner_id"
    moved = await svc.update(org.actor("manager"), c.id,
                             CustomerChanges(owner_id=org.users["shanghai_rep"].id), None)
    assert moved.owner_department_id == org.departments["shanghai"].id
    (event,) = events(org.uow, "customer.reassigned")
    assert event.payload["to_owner_id"] == str(org.users["shanghai_rep"].id)
    assert audit(org.uow, "customer.reassigned")[0].diff["owner_id"][0] == str(
        org.users["rep"].id)
    timeline = await svc.timeline(org.actor("manager"), c.id, PageRequest())
    assert timeline.items[0].kind == "owner_changed"
    with pytest.raises(HiddenRecord):  # the rep no longer sees it
        await svc.get(org.actor("rep"), c.id)


async def test_the_same_owner_again_is_no_reassignment(svc: CustomerService, org: Org) -> None:
    c = await svc.create(org.actor("rep"), company())
    await svc.update(org.actor("rep"), c.id, CustomerChanges(owner_id=org.users["rep"].id), None)
    assert events(org.uow, "customer.reassigned") == []


# ---- the recycle bin ----------------------------------------------------------------------


async def test_managers_delete_and_restore_reps_and_integrations_cannot(
    svc: CustomerService, org: Org
) -> None:
    c = await svc.create(org.actor("rep"), company())
    for who in (org.actor("rep"), org.integration()):
        with pytest.raises(PermissionDenied):
            await svc.delete(who, c.id)
    await svc.delete(org.actor("manager"), c.id)
    with pytest.raises(NotFound):
        await svc.get(org.actor("rep"), c.id)
    binned = await svc.list(org.actor("manager"), CustomerFilter(deleted=True), PageRequest())
    assert [x.id for x in binned.items] == [c.id]
    with pytest.raises(PermissionDenied):
        await svc.list(org.actor("rep"), CustomerFilter(deleted=True), PageRequest())
    restored = await svc.restore(org.actor("manager"), c.id)
    assert restored.deleted_at is None
    assert (await svc.get(org.actor("rep"), c.id)).id == c.id
    assert [e.type for e in events(org.uow)][-2:] == ["customer.deleted", "customer.restored"]
    assert {e.action for e in org.uow.state.audit} >= {"customer.deleted", "customer.restored"}
    kinds = [e.kind for e in (await svc.timeline(org.actor("rep"), c.id, PageRequest())).items]
    assert kinds == ["restored", "deleted", "created"]


async def test_restoring_a_live_or_unknown_customer_is_refused(svc: CustomerService,
                                                               org: Org) -> None:
    c = await svc.create(org.actor("rep"), company())
    with pytest.raises(InvalidTransition):
        await svc.restore(org.actor("manager"), c.id)
    with pytest.raises(NotFound):
        await svc.restore(org.actor("north_manager"), c.id)  # not in its sight


# ---- revealing personal data --------------------------------------------------------------


async def test_reveal_needs_pii_reveal_and_is_audited(svc: CustomerService, org: Org) -> None:
    c = await svc.create(org.actor("rep"), NewCustomer(
        name="王小明", kind=CustomerKind.PERSON, id_card_number=CARD,
        contacts=[ContactDraft(name="王小明", mobile=MOBILE)]))
    with pytest.raises(PermissionDenied):
        await svc.reveal(org.actor("rep"), c.id)
    assert audit(org.uow, "customer.revealed") == []
    shown = await svc.reveal(org.actor("manager"), c.id)
    assert shown.id_card_number == CARD and shown.contacts[0].mobile == MOBILE
    (entry,) = audit(org.uow, "customer.revealed")
    assert entry.diff == {"revealed": ["contacts", "id_card_number"]}
    assert entry.actor_id == org.users["manager"].id

"""Follow-ups, tasks and the timeline they write, over in-memory fakes; duplicates and
merging."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.customers.activity import FollowUpMethod, FollowUpStatus, GeoCheckIn, TaskStatus
from domain.customers.commands import (
    ContactDraft,
    FollowUpChanges,
    NewCustomer,
    NewFollowUp,
    NewTask,
    TaskChanges,
)
from domain.customers.model import Customer, CustomerKind
from domain.customers.ports import FollowUpFilter
from domain.customers.service import CustomerService
from domain.shared.catalogue import render
from domain.shared.errors import (
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.unit.customers_helpers import (
    MOBILE,
    Org,
    audit,
    events,
    failed_field,
)


def now(svc: CustomerService) -> datetime:
    return svc.clock.now()


async def customer(svc: CustomerService, org: Org, who: str = "rep",
                   name: str = "上海明远精密机械制造有限公司", **fields: object) -> Customer:
    command = NewCustomer(name=name, kind=CustomerKind.COMPANY, **fields)  # type: ignore[arg-type]
    return await svc.create(org.actor(who), command, allow_duplicate=True)


async def tasks_of(svc: CustomerService, org: Org, who: str, **query: object) -> list[str]:
    found = await svc.tasks.list(org.actor(who), **{  # type: ignore[arg-type]
        "assignee": None, "status": None, "due_before": None, "related_id": None,
        "page": PageRequest(), **query})
    return [t.title for t in found.items]


# ---- follow-ups ---------------------------------------------------------------------------


async def test_a_done_follow_up_moves_the_customers_dates_and_timeline(svc: CustomerService,
                                                                      org: Org) -> None:
    c = await customer(svc, org)
    at = now(svc) - timedelta(days=2)
    f = await svc.followups.add(org.actor("rep"), c.id, NewFollowUp(
        FollowUpMethod.PHONE, "确认二期采购需求", occurred_at=at, next_action="发送报价单",
        next_followup_at=at + timedelta(days=7)))
    assert f.owner_id == org.users["rep"].id
    after = await svc.get(org.actor("rep"), c.id)
    assert after.last_followup_at == at and after.first_contact_date == at.date()
    assert (after.next_followup_plan, after.next_followup_at) == ("发送报价单",
                                                                  at + timedelta(days=7))
    entry = (await svc.timeline(org.actor("rep"), c.id, PageRequest())).items[0]
    assert (entry.kind, entry.ref_id) == ("followup", f.id)
    assert render(entry.summary, "en") == "phone: 确认二期采购需求"
    assert render(entry.summary, "zh-CN") == "电话：确认二期采购需求"
    assert events(org.uow, "followup.created")[0].payload["followup_id"] == str(f.id)
    assert audit(org.uow, "followup.created")[0].diff["method"] == [None, "phone"]


async def test_a_planned_follow_up_leaves_the_customer_alone(svc: CustomerService,
                                                             org: Org) -> None:
    c = await customer(svc, org)
    f = await svc.followups.add(org.actor("rep"), c.id, NewFollowUp(
        FollowUpMethod.VISIT, "拜访", status=FollowUpStatus.PLANNED))
    assert f.occurred_at == now(svc)  # not given: now
    after = await svc.get(org.actor("rep"), c.id)
    assert after.last_followup_at is None and after.version == c.version


@pytest.mark.parametrize(("command", "field"), [
    (NewFollowUp(FollowUpMethod.PHONE, "x", occurred_at=datetime(2026, 11, 20, 9)),
     "occurred_at"),  # no time zone
    (NewFollowUp(FollowUpMethod.PHONE, "x", next_followup_at=datetime(2026, 11, 27, 9)),
     "next_followup_at"),
    (NewFollowUp(FollowUpMethod.PHONE, "  "), "summary"),
    (NewFollowUp(FollowUpMethod.PHONE, "x", check_in=GeoCheckIn(31.2, 121.4)), "check_in"),
])
async def test_a_bad_follow_up_names_the_field(svc: CustomerService, org: Org,
                                               command: NewFollowUp, field: str) -> None:
    c = await customer(svc, org)
    with pytest.raises(ValidationFailed) as e:
        await svc.followups.add(org.actor("rep"), c.id, command)
    assert failed_field(e.value) == field
    assert org.uow.state.table("followups") == {}


async def test_a_next_follow_up_before_the_follow_up_is_refused(svc: CustomerService,
                                                                org: Org) -> None:
    c = await customer(svc, org)
    with pytest.raises(ValidationFailed) as e:
        await svc.followups.add(org.actor("rep"), c.id, NewFollowUp(
            FollowUpMethod.PHONE, "x", next_followup_at=now(svc) - timedelta(hours=1)))
    assert failed_field(e.value) == "next_followup_at"


async def test_follow_ups_of_a_customer_out_of_sight_are_404(svc: CustomerService,
                                                             org: Org) -> None:
    c = await customer(svc, org, "north_rep")
    f = await svc.followups.add(org.actor("north_rep"), c.id,
                                NewFollowUp(FollowUpMethod.VISIT, "拜访"))
    with pytest.raises(HiddenRecord):
        await svc.followups.add(org.actor("rep"), c.id, NewFollowUp(FollowUpMethod.VISIT, "x"))
    with pytest.raises(HiddenRecord):
        await svc.followups.list(org.actor("rep"), FollowUpFilter(customer_id=c.id),
                                 PageRequest())
    with pytest.raises(NotFound):
        await svc.followups.get(org.actor("rep"), f.id)
    assert (await svc.followups.get(org.actor("admin"), f.id)).id == f.id
    everything = await svc.followups.list(org.actor("rep"), FollowUpFilter(), PageRequest())
    assert everything.items == []


async def test_follow_ups_list_newest_first_filtered_by_owner(svc: CustomerService,
                                                              org: Org) -> None:
    c = await customer(svc, org)
    for days, who in ((3, "rep"), (1, "manager"), (2, "rep")):
        await svc.followups.add(org.actor(who), c.id, NewFollowUp(
            FollowUpMethod.EMAIL, f"{days}", occurred_at=now(svc) - timedelta(days=days)))
    page = await svc.followups.list(org.actor("manager"), FollowUpFilter(customer_id=c.id),
                                    PageRequest())
    assert [f.summary for f in page.items] == ["1", "2", "3"]
    mine = await svc.followups.list(org.actor("rep"),
                                    FollowUpFilter(owner_id=org.users["rep"].id), PageRequest())
    assert [f.summary for f in mine.items] == ["2", "3"]


async def test_its_author_or_a_manager_edits_a_follow_up(svc: CustomerService,
                                                         org: Org) -> None:
    c = await customer(svc, org)
    by_manager = await svc.followups.add(org.actor("manager"), c.id,
                                         NewFollowUp(FollowUpMethod.VISIT, "拜访", feedback="好"))
    with pytest.raises(PermissionDenied):  # the rep sees it, but did not write it
        await svc.followups.update(org.actor("rep"), by_manager.id,
                                   FollowUpChanges(summary="改"), None)
    own = await svc.followups.add(org.actor("rep"), c.id,
                                  NewFollowUp(FollowUpMethod.PHONE, "电话", feedback="好"))
    edited = await svc.followups.update(org.actor("rep"), own.id,
                                        FollowUpChanges(feedback=None), own.version)
    assert (edited.summary, edited.feedback) == ("电话", None)  # null clears, omitted stays
    assert audit(org.uow, "followup.updated")[0].diff == {"feedback": ["好", None]}
    with pytest.raises(StaleVersion):
        await svc.followups.update(org.actor("rep"), own.id, FollowUpChanges(summary="再"),
                                   own.version)
    with pytest.raises(ValidationFailed) as emptied:
        await svc.followups.update(org.actor("manager"), own.id,
                                   FollowUpChanges(summary=None), None)
    assert failed_field(emptied.value) == "summary"


# ---- tasks --------------------------------------------------------------------------------


async def test_a_task_about_a_customer_goes_on_its_timeline(svc: CustomerService,
                                                            org: Org) -> None:
    c = await customer(svc, org)
    task = await svc.tasks.create(org.actor("rep"), NewTask(
        "Send the quote", due_at=now(svc) + timedelta(days=1), related_id=c.id))
    assert (task.assignee_id, task.related_type) == (org.users["rep"].id, "customer")
    entry = (await svc.timeline(org.actor("rep"), c.id, PageRequest())).items[0]
    assert (entry.kind, entry.ref_id) == ("task", task.id)
    assert events(org.uow, "task.created")[0].payload["task_id"] == str(task.id)
    assert audit(org.uow, "task.created")[0].diff == {"title": [None, "Send the quote"]}


async def test_who_may_give_a_task_to_whom_and_about_what(svc: CustomerService,
                                                          org: Org) -> None:
    theirs = await customer(svc, org, "north_rep")
    with pytest.raises(PermissionDenied):
        await svc.tasks.create(org.actor("rep"), NewTask("x", assignee_id=org.users["rep2"].id))
    with pytest.raises(ValidationFailed) as missing:
        await svc.tasks.create(org.integration(), NewTask("x"))
    assert failed_field(missing.value) == "assignee_id"
    with pytest.raises(HiddenRecord):
        await svc.tasks.create(org.actor("rep"), NewTask("x", related_id=theirs.id))
    with pytest.raises(ValidationFailed) as kind:
        await svc.tasks.create(org.actor("rep"), NewTask("x", related_type=None,
                                                         related_id=theirs.id))
    assert failed_field(kind.value) == "related_type"
    given = await svc.tasks.create(org.actor("manager"),
                                   NewTask("x", assignee_id=org.users["shanghai_rep"].id))
    assert given.created_by == org.users["manager"].id


async def test_the_to_do_list_follows_the_team(svc: CustomerService, org: Org) -> None:
    for who, title in (("rep", "rep's"), ("rep2", "rep2's"), ("north_rep", "north's")):
        await svc.tasks.create(org.actor(who), NewTask(title))
    assert await tasks_of(svc, org, "rep") == ["rep's"]
    assert await tasks_of(svc, org, "rep", assignee=org.users["rep2"].id) == []
    assert sorted(await tasks_of(svc, org, "manager")) == ["rep's", "rep2's"]
    assert len(await tasks_of(svc, org, "admin")) == 3
    hidden = next(t for t in org.uow.state.table("tasks").values() if t.title == "north's")
    with pytest.raises(NotFound):
        await svc.tasks.get(org.actor("manager"), hidden.id)
    assert (await svc.tasks.get(org.actor("north_manager"), hidden.id)).title == "north's"


async def test_the_to_do_list_is_ordered_by_due_time_undated_last(svc: CustomerService,
                                                                  org: Org) -> None:
    for title, days in (("later", 3), ("undated", None), ("soon", 1)):
        due = now(svc) + timedelta(days=days) if days else None
        await svc.tasks.create(org.actor("rep"), NewTask(title, due_at=due))
    assert await tasks_of(svc, org, "rep") == ["soon", "later", "undated"]
    assert await tasks_of(svc, org, "rep", due_before=now(svc) + timedelta(days=2)) == ["soon"]


async def test_completing_and_reopening_a_task(svc: CustomerService, org: Org) -> None:
    c = await customer(svc, org)
    task = await svc.tasks.create(org.actor("rep"), NewTask("Call back", related_id=c.id))
    done = await svc.tasks.update(org.actor("rep"), task.id,
                                  TaskChanges(status=TaskStatus.DONE), task.version)
    assert done.completed_at == now(svc)
    assert await tasks_of(svc, org, "rep", status=TaskStatus.OPEN) == []
    summary = (await svc.timeline(org.actor("rep"), c.id, PageRequest())).items[0].summary
    assert render(summary, "en") == "Task done: Call back"
    assert render(summary, "zh-CN") == "任务已完成：Call back"
    with pytest.raises(InvalidTransition):
        await svc.tasks.update(org.actor("rep"), task.id,
                               TaskChanges(status=TaskStatus.CANCELLED), None)
    with pytest.raises(StaleVersion):
        await svc.tasks.update(org.actor("rep"), task.id, TaskChanges(title="x"), task.version)
    reopened = await svc.tasks.update(org.actor("rep"), task.id,
                                      TaskChanges(status=TaskStatus.OPEN, notes=None), None)
    assert reopened.completed_at is None and reopened.title == "Call back"
    assert audit(org.uow, "task.updated")[0].diff == {"status": ["open", "done"]}


async def test_a_rep_cannot_hand_its_task_to_someone_else(svc: CustomerService,
                                                          org: Org) -> None:
    task = await svc.tasks.create(org.actor("rep"), NewTask("x"))
    with pytest.raises(PermissionDenied):
        await svc.tasks.update(org.actor("rep"), task.id,
                               TaskChanges(assignee_id=org.users["rep2"].id), None)
    moved = await svc.tasks.update(org.actor("manager"), task.id,
                                   TaskChanges(assignee_id=org.users["rep2"].id), None)
    assert moved.assignee_id == org.users["rep2"].id
    with pytest.raises(NotFound):  # given away by someone else: out of the rep's list
        await svc.tasks.get(org.actor("rep2"), (await svc.tasks.create(
            org.actor("rep"), NewTask("y"))).id)


# ---- duplicates and merging ---------------------------------------------------------------


async def test_duplicates_come_with_reasons_and_a_score(svc: CustomerService, org: Org) -> None:
    c = await customer(svc, org, contacts=[ContactDraft(name="张三", mobile=MOBILE,
                                                        email="z@example.com")])
    by_phone = await svc.create(org.actor("rep"), NewCustomer(
        "上海明远精密机械制造二厂有限公司", CustomerKind.COMPANY,
        contacts=[ContactDraft(name="李四", mobile=MOBILE)]), allow_duplicate=True)
    by_name = await customer(svc, org, name="上海明远精密机械制造有限公司 ")
    await customer(svc, org, "north_rep", contacts=[ContactDraft(name="x", mobile=MOBILE)])
    found = await svc.duplicates.find(org.actor("rep"), c.id)
    assert [(d.id, reasons, score) for d, reasons, score in found] == [
        (by_phone.id, ["same phone"], 0.9), (by_name.id, ["same name"], 0.8)]


async def test_merging_folds_duplicates_and_their_history_into_one(svc: CustomerService,
                                                                   org: Org) -> None:
    survivor = await customer(svc, org, tags=["vip"],
                              contacts=[ContactDraft(name="张三", mobile=MOBILE)])
    loser = await svc.create(org.actor("rep"), NewCustomer(
        "上海明远精密机械有限公司", CustomerKind.COMPANY, industry="manufacturing",
        tags=["b2b"], contacts=[ContactDraft(name="张三", mobile=MOBILE),
                                ContactDraft(name="李四", email="li@example.com")]),
        allow_duplicate=True)
    f = await svc.followups.add(org.actor("rep"), loser.id,
                                NewFollowUp(FollowUpMethod.PHONE, "电话"))
    merged = await svc.duplicates.merge(org.actor("rep"), survivor.id, [loser.id],
                                        {"name": loser.id})
    assert merged.name == "上海明远精密机械有限公司" and merged.industry == "manufacturing"
    assert merged.tags == ["vip", "b2b"] and [x.name for x in merged.contacts] == ["张三", "李四"]
    assert (await svc.followups.get(org.actor("rep"), f.id)).customer_id == survivor.id
    with pytest.raises(NotFound):
        await svc.get(org.actor("rep"), loser.id)
    tombstone = org.uow.state.table("customers")[loser.id]
    assert tombstone.merged_into_id == survivor.id
    assert {e.action for e in org.uow.state.audit} >= {"customer.merged",
                                                       "customer.merged_away"}
    assert events(org.uow, "customer.merged")[0].payload["merged"] == [str(loser.id)]


@pytest.mark.parametrize(("losers", "choices", "field"), [
    ("none", {}, "from"), ("self", {}, "from"), ("twice", {}, "from"),
    ("one", {"number": "one"}, "field_choices.number"),
    ("one", {"name": "stranger"}, "field_choices.name"),
])
async def test_a_bad_merge_names_the_field(svc: CustomerService, org: Org, losers: str,
                                           choices: dict[str, str], field: str) -> None:
    survivor = await customer(svc, org)
    other = await customer(svc, org, name="杭州西湖电子商务有限公司")
    ids = {"none": [], "self": [survivor.id], "twice": [other.id, other.id],
           "one": [other.id]}[losers]
    picks = {"one": other.id, "stranger": org.users["rep"].id}
    with pytest.raises(ValidationFailed) as e:
        await svc.duplicates.merge(org.actor("rep"), survivor.id, ids,
                                   {k: picks[v] for k, v in choices.items()})
    assert failed_field(e.value) == field

"""What an import does with each row, over in-memory fakes: validation naming the file's
column, duplicates inside the file and in the CRM under each policy, owners named in the
file, custom fields, and rows that become leads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.customers.model import Source
from domain.fields_and_tags.model import FieldType
from domain.identity.service import principal_of
from domain.imports.model import ImportStatus, Outcome, Policy, Target
from domain.leads.model import LeadStatus
from tests.fakes.bulk import custom_field, stored_customer
from tests.fakes.imports import ImportWorld

NAME = "上海明远精密机械制造有限公司"


@pytest.fixture
def world() -> ImportWorld:
    return ImportWorld()


def row(name: str = NAME, contact: str = "张三", mobile: str = "13812345678", email: str = "",
        industry: str = "制造业", owner: str = "", tags: str = "") -> tuple[str, ...]:
    return (name, contact, mobile, email, industry, owner, tags)


# ---- validation --------------------------------------------------------------------------------


async def test_each_bad_row_is_rejected_naming_the_files_column(world: ImportWorld) -> None:
    done = await world.imported(
        world.rep, row(),
        row("苏州工业园区新材料科技有限公司", mobile="12345"),  # not a phone number
        row("南京某某有限公司", mobile="13600003333", industry="占星术"),  # not in the list
        row("明远机械", mobile="13700002222"),  # an abbreviation, not the full legal name
        row("", mobile="13500004444"),  # no name at all
        row("杭州某某有限公司", mobile="13400005555", email="not-an-email"))
    assert (done.rows_read, done.created, done.rejected) == (6, 1, 5)
    assert await world.errors(world.rep, done.id) == {
        (3, "手机", "rejected"), (4, "所属行业", "rejected"), (5, "客户名称", "rejected"),
        (6, "name", "rejected"), (7, "邮箱", "rejected")}
    assert "'占星术' is not in the industry list" in (await world.reasons(done.id))[4]
    assert set(world.customers()) == {NAME}


async def test_a_row_is_checked_against_the_custom_fields(world: ImportWorld) -> None:
    custom_field(world.uow, "employees", "员工人数", FieldType.NUMBER)
    done = await world.imported(world.rep, (NAME, "120"), ("杭州某某有限公司", "很多"),
                                header=("客户名称", "员工人数"))
    assert (done.created, done.rejected) == (1, 1)
    assert world.customers()[NAME].custom == {"employees": 120}
    ((row_no, column, _, outcome),) = await world.svc.error_rows(world.actor(world.rep),
                                                                  done.id)
    assert (row_no, outcome) == (3, "rejected") and column in ("员工人数", "custom.employees")


# ---- duplicates --------------------------------------------------------------------------------


async def test_a_row_repeating_an_earlier_one_is_skipped_even_chunks_apart() -> None:
    world = ImportWorld(chunk_size=2)
    done = await world.imported(
        world.rep, row(), row("杭州西湖电子商务有限公司", mobile="13900001111"),
        row("苏州某某有限公司", mobile="13812345678"),  # the first row's phone, next chunk
        row(NAME.replace("上海", "上海 "), mobile="13300006666"))  # the same name, spaced
    assert (done.created, done.skipped) == (2, 2)
    assert await world.errors(world.rep, done.id) == {(4, "", "skipped"), (5, "", "skipped")}
    assert (await world.reasons(done.id))[4] == "duplicates an earlier row of the file"


async def test_a_duplicate_of_an_existing_customer_follows_the_policy(world: ImportWorld) -> None:
    existing = stored_customer(world.uow, NAME, principal_of(world.rep), mobile="13812345678",
                               industry="retail", tags=["老客户"])
    skipped = await world.imported(world.rep, row(tags="重点客户"))
    assert (skipped.created, skipped.skipped) == (0, 1)
    assert (await world.reasons(skipped.id))[2] == "duplicates an existing customer"

    updated = await world.imported(world.rep, row(tags="重点客户"), policy=Policy.UPDATE)
    assert updated.updated == 1
    after = world.store.table("customers")[existing.id]
    assert after.industry == "manufacturing" and after.tags == ["老客户", "重点客户"]
    assert world.store.audit[-2].action == "customer.updated"  # then import.finished

    merged = await world.imported(world.rep, row(industry="零售", tags="VIP"),
                                  policy=Policy.MERGE)
    assert merged.merged == 1
    after = world.store.table("customers")[existing.id]
    assert after.industry == "manufacturing"  # merge fills gaps only
    assert "VIP" in after.tags and len(world.customers()) == 1

    forced = await world.imported(world.rep, row(), policy=Policy.CREATE)
    assert forced.created == 1 and len(world.store.table("customers")) == 2


async def test_a_duplicate_of_a_customer_the_importer_cannot_see_is_left_alone(
        world: ImportWorld) -> None:
    theirs = stored_customer(world.uow, NAME, principal_of(world.north_rep),
                             mobile="13812345678", industry="retail")
    done = await world.imported(world.rep, row(), policy=Policy.UPDATE)
    assert (done.updated, done.skipped) == (0, 1)
    assert (await world.reasons(done.id))[2] == "duplicates a customer owned by someone else"
    assert world.store.table("customers")[theirs.id].industry == "retail"
    managed = await world.imported(world.admin, row(), policy=Policy.UPDATE)
    assert managed.updated == 1  # an admin sees it, so updates it


async def test_a_dry_run_counts_duplicates_without_touching_them(world: ImportWorld) -> None:
    existing = stored_customer(world.uow, NAME, principal_of(world.rep), mobile="13812345678",
                               industry="retail")
    preview = await world.imported(world.rep, row(), row("杭州某某有限公司", mobile="13900001111"),
                                   policy=Policy.UPDATE, dry_run=True)
    assert (preview.status, preview.updated, preview.created) == (ImportStatus.PREVIEWED, 1, 1)
    assert world.store.table("customers")[existing.id].industry == "retail"
    assert len(world.store.table("customers")) == 1


# ---- owners ------------------------------------------------------------------------------------


async def test_owners_named_in_the_file_follow_who_may_give_customers_to_whom(
        world: ImportWorld) -> None:
    by_manager = await world.imported(
        world.manager, row("上海一号有限公司", mobile="13811110001", owner="rep@example.com"),
        row("上海二号有限公司", mobile="13811110002", owner=world.north_rep.email),
        row("上海三号有限公司", mobile="13811110003", owner="Nobody Here"),
        row("上海四号有限公司", mobile="13811110004", owner=world.rep.name))
    assert (by_manager.created, by_manager.rejected) == (2, 2)
    assert world.customers()["上海一号有限公司"].owner_id == world.rep.id
    assert world.customers()["上海四号有限公司"].owner_id == world.rep.id
    reasons = await world.reasons(by_manager.id)
    assert reasons[3] == "is outside your team"
    assert reasons[4] == "owner: no single user is called 'Nobody Here'"
    assert (3, "负责销售", "rejected") in await world.errors(world.manager, by_manager.id)

    by_rep = await world.imported(
        world.rep, row("上海五号有限公司", mobile="13811110005", owner=world.manager.email))
    assert by_rep.rejected == 1
    assert (await world.reasons(by_rep.id))[2] == \
        "Only managers and admins give customers to someone else"


async def test_a_disabled_user_cannot_be_named_owner(world: ImportWorld) -> None:
    world.store.users[world.rep.id].is_active = False
    done = await world.imported(world.admin, row(owner=world.rep.email))
    assert done.rejected == 1 and (await world.reasons(done.id))[2] == "is not an active user"


# ---- rows that become leads ----------------------------------------------------------------------


LEAD_HEADER = ("公司名称", "联系人", "手机", "邮箱", "年采购额", "负责销售")


async def test_a_trade_show_list_is_captured_as_leads(world: ImportWorld) -> None:
    done = await world.imported(
        world.rep, ("上海一号有限公司", "甲", "13811110001", "a@example.com", "¥120,000", ""),
        ("上海二号有限公司", "乙", "13811110002", "", "", world.rep.email),
        header=LEAD_HEADER, target=Target.LEADS, filename="展会名单.csv")
    assert (done.status, done.created) == (ImportStatus.DONE, 2)
    assert world.customers() == {}  # leads, not customers
    (first, first_data), (_, second_data) = world.leads.captured
    assert first.company == "上海一号有限公司" and first.name == "甲"
    assert first.budget == Decimal("120000") and first.status == LeadStatus.NEW
    assert first_data.source == Source.IMPORT.value and first_data.campaign == "展会名单.csv"
    assert first_data.auto_assign is True and first_data.owner_id is None
    assert second_data.owner_id == world.rep.id and second_data.auto_assign is False


async def test_a_lead_row_the_lead_refuses_is_rejected_naming_its_column(
        world: ImportWorld) -> None:
    done = await world.imported(
        world.rep, ("上海一号有限公司", "甲", "13811110001", "", "很多钱", ""),
        ("上海二号有限公司", "乙", "13811110002", "", "", "Nobody Here"),
        header=LEAD_HEADER, target=Target.LEADS)
    assert (done.created, done.rejected) == (0, 2)
    assert await world.errors(world.rep, done.id) == {(2, "年采购额", Outcome.REJECTED.value),
                                                      (3, "负责销售", Outcome.REJECTED.value)}


async def test_a_dry_run_of_leads_captures_none(world: ImportWorld) -> None:
    preview = await world.imported(
        world.rep, ("上海一号有限公司", "甲", "13811110001", "", "", ""),
        ("上海二号有限公司", "乙", "13811110002", "", "很多钱", ""),
        header=LEAD_HEADER, target=Target.LEADS, dry_run=True)
    assert (preview.created, preview.rejected) == (1, 1)
    assert world.leads.captured == []



# ---- events ------------------------------------------------------------------------------------


def events_of(world: ImportWorld, kind: str) -> list[dict[str, object]]:
    return [e.payload for e in world.store.outbox.values() if e.type == kind]


async def test_each_imported_customer_emits_what_a_single_create_emits() -> None:
    world = ImportWorld(chunk_size=2)
    done = await world.imported(
        world.rep, row(), row("杭州西湖电子商务有限公司", mobile="13900001111"),
        row("苏州工业园区新材料科技有限公司", mobile="13700002222"),
        row(NAME, tags="VIP"),  # folded into the first row's customer: no event of its own
        policy=Policy.MERGE)
    assert (done.created, done.merged) == (3, 1)
    created = events_of(world, "customer.created")
    by_name = {c.name: c for c in world.customers().values()}
    assert sorted(e["customer_id"] for e in created) == sorted(str(c.id) for c in by_name.values())
    for e in created:  # the payload a single create gives, with the number the customer got
        c = next(c for c in by_name.values() if str(c.id) == e["customer_id"])
        assert e == {"customer_id": str(c.id), "number": c.number, "owner_id": str(world.rep.id)}
        assert c.number.startswith("C")
    assert events_of(world, "customer.merged") == []


async def test_a_row_folded_into_an_existing_customer_emits_its_update(
        world: ImportWorld) -> None:
    existing = stored_customer(world.uow, NAME, principal_of(world.rep), mobile="13812345678",
                               industry="retail", tags=["老客户"])
    await world.imported(world.rep, row(tags="重点客户"), policy=Policy.UPDATE)
    await world.imported(world.rep, row(tags="VIP"), policy=Policy.MERGE)
    assert events_of(world, "customer.updated") == [
        {"customer_id": str(existing.id), "fields": ["industry", "tags"]},
        {"customer_id": str(existing.id), "fields": ["tags"]}]
    assert events_of(world, "customer.created") == events_of(world, "customer.merged") == []
    dry = await world.imported(world.rep, row(tags="x"),
                               row("杭州某某有限公司", mobile="13900001111"),
                               policy=Policy.UPDATE, dry_run=True)
    assert dry.updated == 1 and len(events_of(world, "customer.updated")) == 2
    assert events_of(world, "customer.created") == []

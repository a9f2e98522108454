"""The export use cases over in-memory fakes: who may export what, the masking of personal
data, the file written in chunks and resumed after a killed worker, and the download."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from domain.customers.queries import CustomerFilter
from domain.exports import service as export_service
from domain.exports.commands import CreateExport
from domain.exports.labels import Locale, header
from domain.exports.model import XLSX_MAX_ROWS, Export, ExportFormat, ExportStatus
from domain.exports.service import COLUMNS, ExportService
from domain.identity.model import ApiKey, User
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Principal, Role, Scope
from domain.shared.errors import InvalidTransition, NotFound, PermissionDenied
from domain.shared.ports import JobName
from tests.fakes.bulk import (
    BulkUowFactory,
    FakeCustomerRules,
    FakeQueue,
    custom_field,
    stored_customer,
)
from tests.fakes.exports import FakeSegments, FakeSheets, FakeTally, csv_rows, xlsx_rows
from tests.fakes.identity import actor_of, stored_user
from tests.fakes.shared import FakeClock, Store

MOBILE, EMAIL, ID_CARD = "13812345678", "zhang.san@example.com", "11010519491231002X"


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.uow = BulkUowFactory(self.clock)
        self.queue = FakeQueue()
        self.sheets = FakeSheets()
        self.segments = FakeSegments()
        self.svc = ExportService(self.uow, self.clock, FakeCustomerRules(), self.segments,
                                 self.sheets, self.queue)
        self.admin = stored_user(self.store, Role.ADMIN, "admin@example.com")
        self.manager = stored_user(self.store, Role.MANAGER, "manager@example.com")
        self.rep = stored_user(self.store, Role.SALES_REP, "rep@example.com")
        self.other_rep = stored_user(self.store, Role.SALES_REP, "other@example.com")

    @property
    def store(self) -> Store:
        return self.uow.state

    def customer(self, owner: User, name: str, **kw: Any) -> uuid.UUID:
        return stored_customer(self.uow, name, principal_of(owner), **kw).id

    async def export(self, who: User, **command: Any) -> Export:
        return await self.svc.create(actor_of(who), CreateExport(**command))

    async def finished(self, who: User, **command: Any) -> tuple[Export, bytes]:
        created = await self.export(who, **command)
        assert await self.svc.run(created.id) is False
        export, chunks = await self.svc.download(actor_of(who), created.id)
        return export, b"".join([c async for c in chunks])

    def record(self, export_id: uuid.UUID) -> Export:
        return self.store.table("exports")[export_id]  # type: ignore[no-any-return]


@pytest.fixture
def world() -> World:
    return World()


# The header row as an export in Chinese (the default) writes it, and each header's column key.
HEADER = [header("customer", c, Locale.ZH_CN) for c in COLUMNS]
KEY_OF = dict(zip(HEADER, COLUMNS, strict=True))


def by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """Rows by customer name, each cell under its column's key (custom fields by label)."""
    keys = [KEY_OF.get(h, h) for h in rows[0]]
    return {r[1]: dict(zip(keys, r, strict=True)) for r in rows[1:]}


# ---- asking for an export ----------------------------------------------------------------------


async def test_an_export_is_recorded_audited_and_queued(world: World) -> None:
    created = await world.export(world.rep, filter=CustomerFilter(industry="retail"))
    assert created.status == ExportStatus.PENDING and created.created_by == world.rep.id
    assert created.filter == {"industry": "retail"}
    (queued,) = world.store.outbox.values()
    assert (queued.type, queued.payload["export_id"]) == ("export.queued", str(created.id))
    assert world.queue.jobs == {}  # the job waits for the committed event's reaction
    await world.svc.run_for_event(None, queued)  # type: ignore[arg-type]
    await world.svc.run_for_event(None, queued)  # type: ignore[arg-type]  # delivered twice
    assert list(world.queue.jobs.values()) == [(JobName.RUN_EXPORT, (str(created.id),))]
    (entry,) = world.store.audit
    assert entry.action == "export.created" and entry.actor_id == world.rep.id
    assert entry.diff == {"object": [None, "customer"], "format": [None, "csv"],
                          "filter": [None, {"industry": "retail"}], "reveal": [None, False],
                          "locale": [None, "zh-CN"]}


async def test_a_queue_that_is_down_does_not_lose_the_export(world: World) -> None:
    world.queue.down = True
    created = await world.export(world.rep)
    assert world.record(created.id).status == ExportStatus.PENDING
    world.clock.advance(seconds=30)  # the sweep picks it up once the queue is back
    world.queue.down = False
    assert await world.svc.sweep_stale() == 1
    assert any(job_id.startswith(f"export:{created.id}:") for job_id in world.queue.jobs)


async def test_a_segment_exports_its_filter(world: World) -> None:
    segment_id = uuid.uuid4()
    world.segments.filters[segment_id] = CustomerFilter(region="east", tags_any=("VIP",))
    created = await world.export(world.rep, segment_id=segment_id)
    assert created.filter == {"region": "east", "tags_any": ["VIP"]}
    with pytest.raises(NotFound):
        await world.export(world.rep, segment_id=uuid.uuid4())


async def test_exports_run_on_behalf_of_a_user_who_may_read_customers(world: World) -> None:
    key = ApiKey(id=uuid.uuid4(), name="BI", prefix="abcdefabcdef", secret_hash="x",
                 scopes=frozenset({Scope.CUSTOMERS_READ}), created_by=world.admin.id)
    integration = Actor(Principal(kind="api_key", id=key.id, label="api-key:BI",
                                  scopes=key.scopes))
    with pytest.raises(PermissionDenied, match="on behalf of a user"):
        await world.svc.create(integration, CreateExport())
    no_scope = Actor(Principal(kind="user", id=world.rep.id, label="x", scopes=frozenset()))
    with pytest.raises(PermissionDenied):
        await world.svc.create(no_scope, CreateExport())
    assert world.store.table("exports") == {} and world.queue.jobs == {}


async def test_cleartext_needs_pii_reveal(world: World) -> None:
    with pytest.raises(PermissionDenied) as e:
        await world.export(world.rep, reveal=True)
    assert e.value.scope == Scope.PII_REVEAL.value
    assert (await world.export(world.manager, reveal=True)).reveal


async def test_an_export_is_seen_by_its_maker_and_admins_only(world: World) -> None:
    created = await world.export(world.rep)
    assert (await world.svc.get(actor_of(world.rep), created.id)).id == created.id
    assert (await world.svc.get(actor_of(world.admin), created.id)).id == created.id
    for someone in (world.other_rep, world.manager):
        with pytest.raises(NotFound):
            await world.svc.get(actor_of(someone), created.id)
        with pytest.raises(NotFound):
            await world.svc.download(actor_of(someone), created.id)


# ---- the file ----------------------------------------------------------------------------------


async def test_a_rep_exports_only_its_own_customers_with_personal_data_masked(
        world: World) -> None:
    world.customer(world.rep, "上海明远精密机械制造有限公司", mobile=MOBILE, email=EMAIL,
                   industry="manufacturing", tags=["VIP", "B2B"])
    world.customer(world.rep, "王小明", id_card_number=ID_CARD)
    world.customer(world.other_rep, "北京别人的客户有限公司", mobile="13900001111")
    export, data = await world.finished(world.rep)
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 with a BOM
    rows = csv_rows(data)
    assert rows[0] == HEADER
    found = by_name(rows)
    assert set(found) == {"上海明远精密机械制造有限公司", "王小明"}
    company = found["上海明远精密机械制造有限公司"]
    assert company["mobile"] == "138****5678" and company["email"] == "z***@example.com"
    assert company["contact"] == "张三" and company["tags"] == "VIP,B2B"
    assert found["王小明"]["id_card_number"] == "110105********002X"
    assert MOBILE.encode() not in data and EMAIL.encode() not in data
    assert export.rows_written == 2 and export.status == ExportStatus.DONE


async def test_a_manager_with_pii_reveal_gets_cleartext_and_the_download_is_audited(
        world: World) -> None:
    world.customer(world.rep, "上海明远精密机械制造有限公司", mobile=MOBILE, email=EMAIL)
    _, data = await world.finished(world.admin, reveal=True)
    company = by_name(csv_rows(data))["上海明远精密机械制造有限公司"]
    assert company["mobile"] == MOBILE and company["email"] == EMAIL
    downloaded = world.store.audit[-1]
    assert downloaded.action == "export.downloaded" and downloaded.diff == {"reveal": [None, True]}


async def test_a_right_to_cleartext_lost_before_the_job_ran_masks_the_file(
        world: World) -> None:
    world.customer(world.manager, "上海明远精密机械制造有限公司", mobile=MOBILE)
    created = await world.export(world.manager, reveal=True)
    world.store.users[world.manager.id].role = Role.SALES_REP  # demoted before the job ran
    await world.svc.run(created.id)
    assert world.record(created.id).reveal is False
    data = world.store.table("export_chunks")[(created.id, 0)]
    assert MOBILE.encode() not in data and b"138****5678" in data


async def test_a_cleartext_file_is_not_handed_to_one_who_lost_the_right(world: World) -> None:
    world.customer(world.manager, "上海明远精密机械制造有限公司", mobile=MOBILE)
    created = await world.export(world.manager, reveal=True)
    await world.svc.run(created.id)
    demoted = Actor(Principal(kind="user", id=world.manager.id, label="manager@example.com",
                              scopes=frozenset({Scope.CUSTOMERS_READ})))
    with pytest.raises(PermissionDenied):
        await world.svc.download(demoted, created.id)
    assert "export.downloaded" not in [e.action for e in world.store.audit]


async def test_cells_a_spreadsheet_would_run_are_defused(world: World) -> None:
    world.customer(world.rep, "=HYPERLINK(\"http://evil\")有限公司")
    _, data = await world.finished(world.rep)
    (row,) = csv_rows(data)[1:]
    assert row[1].startswith("'=HYPERLINK")


async def test_custom_fields_follow_the_fixed_columns(world: World) -> None:
    custom_field(world.uow, "erp_code", "ERP 编码")
    cid = world.customer(world.rep, "上海明远精密机械制造有限公司")
    world.store.table("customers")[cid].custom = {"erp_code": "A-1"}
    _, data = await world.finished(world.rep)
    header_row, row = csv_rows(data)
    assert header_row[len(COLUMNS):] == ["ERP 编码"] and row[len(COLUMNS):] == ["A-1"]


async def test_a_large_export_goes_out_in_chunks_with_one_header(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "ROWS_PER_CHUNK", 2)
    for i in range(5):
        world.customer(world.rep, f"测试客户{i}有限公司")
    export, data = await world.finished(world.rep)
    assert export.chunks == 3 and export.rows_written == 5 and export.bytes == len(data)
    rows = csv_rows(data)
    assert rows[0] == HEADER and len(rows) == 6
    assert sorted(r[1] for r in rows[1:]) == [f"测试客户{i}有限公司" for i in range(5)]


class KilledOnce(FakeSheets):
    """The worker dies (its job cancelled) while encoding the second chunk."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def csv(self, rows: Sequence[Sequence[Any]]) -> bytes:
        self.calls += 1
        if self.calls == 2:
            raise asyncio.CancelledError()
        return super().csv(rows)


async def test_a_killed_worker_resumes_at_the_last_chunk_written(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "ROWS_PER_CHUNK", 2)
    world.svc.encoder = KilledOnce()
    for i in range(5):
        world.customer(world.rep, f"测试客户{i}有限公司")
    created = await world.export(world.rep)
    with pytest.raises(asyncio.CancelledError):
        await world.svc.run(created.id)
    halfway = world.record(created.id)
    assert halfway.status == ExportStatus.RUNNING and halfway.chunks == 1
    assert halfway.rows_written == 2 and halfway.cursor is not None
    assert await world.svc.run(created.id) is False  # the job runs again
    _, chunks = await world.svc.download(actor_of(world.rep), created.id)
    rows = csv_rows(b"".join([c async for c in chunks]))
    assert len(rows) == 6 and len({r[1] for r in rows[1:]}) == 5


async def test_an_xlsx_is_written_in_resumable_pieces_and_capped(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "ROWS_PER_CHUNK", 2)
    world.customer(world.rep, "上海明远精密机械制造有限公司", mobile=MOBILE)
    for i in range(4):
        world.customer(world.rep, f"测试客户{i}有限公司")
    export, data = await world.finished(world.rep, format=ExportFormat.XLSX)
    header_row, *rows = xlsx_rows(data)
    assert header_row == HEADER and len(rows) == 5 and export.rows_written == 5
    assert export.chunks == 3 and world.sheets.xlsx_pieces == 3 and export.bytes == len(data)
    (row,) = [r for r in rows if r[1] == "上海明远精密机械制造有限公司"]
    assert row[COLUMNS.index("mobile")] == "138****5678"
    monkeypatch.setattr(export_service, "XLSX_MAX_ROWS", 0)
    created = await world.export(world.rep, format=ExportFormat.XLSX)
    await world.svc.run(created.id)
    failed = world.record(created.id)
    assert failed.status == ExportStatus.FAILED and "export as CSV" in (failed.error or "")
    assert XLSX_MAX_ROWS == 100_000


class XlsxKilledAtTheEnd(FakeSheets):
    """The worker dies while closing the workbook (reading back what was written)."""

    def __init__(self) -> None:
        super().__init__()
        self.tallies = 0

    def xlsx_tally(self) -> FakeTally:
        self.tallies += 1
        if self.tallies == 1:
            raise asyncio.CancelledError()
        return super().xlsx_tally()


async def test_a_killed_xlsx_step_is_redone_and_the_workbook_closed_once(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "ROWS_PER_CHUNK", 2)
    world.svc.encoder = world.sheets = XlsxKilledAtTheEnd()
    for i in range(5):
        world.customer(world.rep, f"测试客户{i}有限公司")
    created = await world.export(world.rep, format=ExportFormat.XLSX)
    with pytest.raises(asyncio.CancelledError):
        await world.svc.run(created.id)
    halfway = world.record(created.id)
    assert halfway.status == ExportStatus.RUNNING and halfway.chunks == 2
    assert await world.svc.run(created.id) is False  # the job runs again
    _, chunks = await world.svc.download(actor_of(world.rep), created.id)
    header_row, *rows = xlsx_rows(b"".join([c async for c in chunks]))
    assert header_row == HEADER and sorted(r[1] for r in rows) == [f"测试客户{i}有限公司"
                                                                for i in range(5)]


async def test_an_export_of_a_user_disabled_since_fails(world: World) -> None:
    created = await world.export(world.rep)
    world.store.users[world.rep.id].is_active = False
    assert await world.svc.run(created.id) is False
    failed = world.record(created.id)
    assert failed.status == ExportStatus.FAILED and failed.error == "the user is no longer active"


async def test_a_download_waits_for_the_file(world: World) -> None:
    created = await world.export(world.rep)
    with pytest.raises(InvalidTransition, match="pending"):
        await world.svc.download(actor_of(world.rep), created.id)


async def test_files_older_than_a_day_expire(world: World) -> None:
    _, _ = await world.finished(world.rep)
    (export_id,) = world.store.table("exports")
    world.clock.advance(days=1, seconds=1)
    await world.svc.sweep_stale(idle=timedelta(seconds=10))
    assert world.record(export_id).status == ExportStatus.EXPIRED
    assert world.store.table("export_chunks") == {}
    with pytest.raises(InvalidTransition, match="expired"):
        await world.svc.download(actor_of(world.rep), export_id)

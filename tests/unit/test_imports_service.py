"""The import use cases over in-memory fakes: the upload and who may make and see it, the job
that runs it in chunks (and resumes after a killed worker), dry runs, and the sweep."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

import pytest

from adapters.files.tables import TableLimits, read_table
from domain.imports import service as import_service
from domain.imports.commands import CreateImport
from domain.imports.model import ImportStatus, Policy, Target
from domain.shared.authz import Actor, Principal, Scope
from domain.shared.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from domain.shared.ports import JobName
from tests.fakes.identity import actor_of
from tests.fakes.imports import FakeImports, ImportWorld, csv_file, read_csv

ROW = ("上海明远精密机械制造有限公司", "张三", "13812345678", "zs@example.com", "制造业", "",
       "重点客户，B2B")


@pytest.fixture
def world() -> ImportWorld:
    return ImportWorld()


def companies(n: int) -> list[tuple[str, ...]]:
    return [(f"测试客户{i}有限公司", f"联系人{i}", f"1381111{i:04d}", "", "制造业", "", "")
            for i in range(n)]


# ---- the upload --------------------------------------------------------------------------------


async def test_an_upload_is_kept_audited_and_queued_with_its_mapping(world: ImportWorld) -> None:
    mapping = {"公司": "name", "电话": "mobile"}
    created = await world.upload(world.rep, ("A公司", "13812345678"), header=("公司", "电话"),
                                 policy=Policy.MERGE, dry_run=True, mapping=mapping)
    assert created.status == ImportStatus.PENDING and created.format == "csv"
    assert created.mapping == mapping and created.policy == Policy.MERGE and created.dry_run
    assert created.created_by == world.rep.id and len(created.sha256) == 64
    (queued,) = world.store.outbox.values()
    assert (queued.type, queued.payload["import_id"]) == ("import.queued", str(created.id))
    assert world.queue.jobs == {}  # the job waits for the committed event's reaction
    await world.svc.run_for_event(None, queued)  # type: ignore[arg-type]
    await world.svc.run_for_event(None, queued)  # type: ignore[arg-type]  # delivered twice
    assert list(world.queue.jobs.values()) == [(JobName.RUN_IMPORT, (str(created.id),))]
    (entry,) = world.store.audit
    assert entry.action == "import.created" and entry.target_id == str(created.id)
    assert entry.diff["policy"] == [None, "merge"] and entry.diff["dry_run"] == [None, True]


async def test_an_upload_must_be_a_non_empty_csv_or_xlsx(world: ImportWorld) -> None:
    for filename, content in (("list.txt", b"a,b"), ("noextension", b"a,b"), ("list.csv", b"")):
        with pytest.raises(ValidationFailed) as e:
            await world.svc.create(actor_of(world.rep), CreateImport(filename, content))
        assert e.value.problems[0].field == "file"
    assert world.store.table("imports") == {} and world.queue.jobs == {}


async def test_uploads_need_the_write_permission_of_their_target(world: ImportWorld) -> None:
    content = csv_file(("客户名称",), ("A公司",))
    with pytest.raises(PermissionDenied) as e:
        await world.svc.create(actor_of(world.finance), CreateImport("a.csv", content))
    assert e.value.scope == Scope.CUSTOMERS_WRITE.value
    with pytest.raises(PermissionDenied) as e:
        await world.svc.create(actor_of(world.finance), CreateImport("a.csv", content,
                                                                     target=Target.LEADS))
    assert e.value.scope == Scope.LEADS_WRITE.value
    integration = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:ERP",
                                  scopes=frozenset(Scope)))
    with pytest.raises(PermissionDenied, match="on behalf of a user"):
        await world.svc.create(integration, CreateImport("a.csv", content))


async def test_an_import_and_its_errors_are_seen_by_its_maker_and_admins(
        world: ImportWorld) -> None:
    done = await world.imported(world.rep, ROW, ("", "李四", "13900001111", "", "", "", ""))
    assert (await world.svc.get(actor_of(world.admin), done.id)).id == done.id
    assert await world.errors(world.rep, done.id) == {(3, "name", "rejected")}
    for someone in (world.manager, world.north_rep):
        with pytest.raises(NotFound):
            await world.svc.get(actor_of(someone), done.id)
        with pytest.raises(NotFound):
            await world.svc.error_rows(actor_of(someone), done.id)


# ---- the job -----------------------------------------------------------------------------------


async def test_a_file_becomes_customers_owned_by_the_importer(world: ImportWorld) -> None:
    done = await world.imported(world.rep, ROW, ("杭州西湖电子商务有限公司", "李四",
                                                 "13900001111", "", "", "", "电商"))
    assert done.status == ImportStatus.DONE and done.finished_at == world.clock.now()
    assert (done.rows_total, done.rows_read, done.created) == (2, 2, 2)
    assert done.mapping["客户名称"] == "name" and done.mapping["负责销售"] == "owner"
    made = world.customers()
    first = made["上海明远精密机械制造有限公司"]
    assert first.owner_id == world.rep.id and first.industry == "manufacturing"
    assert first.tags == ["重点客户", "B2B"] and first.number.startswith("C202611")
    assert first.primary_contact is not None and first.primary_contact.mobile == "13812345678"
    assert set(world.store.table("tags")) == {"重点客户", "B2B", "电商"}
    created = [e for e in world.store.audit if e.action == "customer.created"]
    assert {e.diff["row"][1] for e in created} == {2, 3}
    assert all(e.diff["import"] == [None, str(done.id)] for e in created)
    assert len(world.store.table("activity")) == 2
    finished = world.store.audit[-1]
    assert finished.action == "import.finished" and finished.diff["created"] == [None, 2]
    assert world.file(done.id).content is None  # personal data in clear is not kept


async def test_a_mapping_given_with_the_upload_is_used_and_checked(world: ImportWorld) -> None:
    done = await world.imported(world.rep, ("A有限公司", "13812345678", "无视"),
                                header=("公司", "电话", "备注"),
                                mapping={"公司": "name", "电话": "mobile", "备注": "ignore"})
    assert done.created == 1
    contact = world.customers()["A有限公司"].primary_contact
    assert contact is not None and contact.mobile == "13812345678"
    bad = await world.imported(world.rep, ("B有限公司",), header=("公司",),
                               mapping={"Company": "name"})
    assert bad.status == ImportStatus.FAILED
    assert bad.error == "mapping.Company: is not a column of the file"
    nameless = await world.imported(world.rep, ("B有限公司",), header=("公司",),
                                    mapping={"公司": "key_needs"})
    assert nameless.error == "mapping: no column is mapped to the customer name"


async def test_a_long_file_is_staged_over_several_stretches(
        world: ImportWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "STAGE_BATCH", 2)
    created = await world.upload(world.rep, *companies(5))
    assert await world.svc.run(created.id, budget_seconds=0) is True
    first = world.record(created.id)
    assert (first.status, first.rows_total) == (ImportStatus.PENDING, 2), "committed, to go on"
    assert await world.svc.run(created.id, budget_seconds=0) is True
    assert await world.svc.run(created.id, budget_seconds=0) is True
    staged = world.record(created.id)
    assert (staged.status, staged.rows_total, staged.next_row) == (ImportStatus.RUNNING, 5, 0)
    assert await world.svc.run(created.id) is False
    assert world.record(created.id).created == 5 and len(world.customers()) == 5


async def test_the_job_works_in_budgeted_stretches(world: ImportWorld) -> None:
    created = await world.upload(world.rep, *companies(3))
    assert await world.svc.run(created.id, budget_seconds=0) is True  # staged, more to do
    staged = world.record(created.id)
    assert staged.status == ImportStatus.RUNNING and staged.rows_total == 3
    assert staged.rows_read == 0 and world.customers() == {}
    assert await world.svc.run(created.id) is False
    assert world.record(created.id).created == 3


async def test_a_big_file_is_staged_over_stretches_without_staging_a_row_twice(
        world: ImportWorld) -> None:
    created = await world.upload(world.rep, *companies(2500))
    assert await world.svc.run(created.id, budget_seconds=0) is True
    part = world.record(created.id)
    assert (part.status, part.rows_total, part.next_row) == (ImportStatus.PENDING, 2000, 2001)
    assert await world.svc.run(created.id, budget_seconds=0) is True
    staged = world.record(created.id)
    assert (staged.status, staged.rows_total) == (ImportStatus.RUNNING, 2500)
    assert [n for n, _ in world.file(created.id).staged] == list(range(2, 2502))
    assert await world.svc.run(created.id) is False
    assert world.record(created.id).created == 2500


class KilledOnce(FakeImports):
    """The worker dies (its job cancelled) half way through the second chunk, before it wrote
    anything of it."""

    calls = 0

    async def seen_keys(self, import_id: uuid.UUID, keys: Sequence[str]
                        ) -> dict[str, uuid.UUID | None]:
        KilledOnce.calls += 1
        if KilledOnce.calls == 2:
            raise asyncio.CancelledError()
        return await super().seen_keys(import_id, keys)


async def test_a_killed_worker_resumes_where_the_last_chunk_ended() -> None:
    world, KilledOnce.calls = ImportWorld(chunk_size=2), 0
    rows = companies(5)
    rows[4] = (rows[1][0], "重复", rows[1][2], "", "制造业", "", "")  # a duplicate of row 3
    created = await world.upload(world.rep, *rows)
    real = world.uow.__call__

    def dying() -> Any:
        uow = real()
        uow.imports = KilledOnce(uow)
        return uow

    world.svc.uow = dying  # type: ignore[assignment]
    with pytest.raises(asyncio.CancelledError):
        await world.svc.run(created.id)
    halfway = world.record(created.id)
    assert halfway.status == ImportStatus.RUNNING and halfway.next_row == 3
    assert halfway.created == 2 and len(world.customers()) == 2
    assert await world.svc.run(created.id) is False  # the job runs again
    done = world.record(created.id)
    assert (done.status, done.created, done.skipped) == (ImportStatus.DONE, 4, 1)
    assert len(world.customers()) == 4
    assert await world.errors(world.rep, created.id) == {(6, "", "skipped")}


async def test_a_dry_run_writes_nothing_until_started_for_real(world: ImportWorld) -> None:
    preview = await world.imported(world.rep, ROW, *companies(1), dry_run=True)
    assert preview.status == ImportStatus.PREVIEWED and preview.created == 2
    assert world.customers() == {} and world.file(preview.id).content is not None
    assert "customer.created" not in [e.action for e in world.store.audit]
    started = await world.svc.start(actor_of(world.rep), preview.id)
    assert started.status == ImportStatus.PENDING and not started.dry_run
    queued = [e for e in world.store.outbox.values() if e.type == "import.queued"]
    assert [(e.payload["version"], e.payload["dry_run"]) for e in queued] == [(1, True),
                                                                               (2, False)]
    for event in queued:
        await world.svc.run_for_event(None, event)  # type: ignore[arg-type]
    assert len(world.queue.jobs) == 2  # the real run is a job of its own
    assert await world.svc.run(preview.id) is False
    done = world.record(preview.id)
    assert (done.status, done.created) == (ImportStatus.DONE, 2)
    assert len(world.customers()) == 2
    with pytest.raises(InvalidTransition):  # only a finished dry run can be started
        await world.svc.start(actor_of(world.rep), preview.id)
    with pytest.raises(NotFound):
        await world.svc.start(actor_of(world.north_rep), preview.id)


async def test_the_import_of_a_user_disabled_since_stops(world: ImportWorld) -> None:
    created = await world.upload(world.rep, ROW)
    world.store.users[world.rep.id].is_active = False
    assert await world.svc.run(created.id) is False
    failed = world.record(created.id)
    assert failed.status == ImportStatus.FAILED
    assert failed.error == "the user who started the import is no longer active"
    assert world.customers() == {}


async def test_the_file_is_parsed_off_the_event_loop(world: ImportWorld) -> None:
    """A worker in `crm serve` shares its event loop with the API: a file that takes seconds
    to parse must not keep the API from answering meanwhile."""
    loop_thread = threading.get_ident()
    parsed_in: set[int] = set()

    def reader(content: bytes, fmt: str, encoding: str | None) -> Any:
        parsed_in.add(threading.get_ident())
        headers, rows, used = read_csv(content, fmt, encoding)

        def watched() -> Any:
            for row in rows:
                parsed_in.add(threading.get_ident())
                yield row
        return headers, watched(), used

    world.svc.reader = reader
    done = await world.imported(world.rep, *companies(5))
    assert done.created == 5
    assert parsed_in and loop_thread not in parsed_in


async def test_an_over_limit_file_ends_the_import_naming_the_limit(world: ImportWorld) -> None:
    world.svc.reader = partial(read_table, limits=TableLimits(rows=3))
    created = await world.upload(world.rep, *companies(5))
    assert await world.svc.run(created.id) is False
    failed = world.record(created.id)
    assert failed.status == ImportStatus.FAILED
    assert failed.error == "file: has more than 3 rows (the limit); split it into smaller files"
    assert world.customers() == {}


async def test_a_file_that_cannot_be_read_ends_the_import(world: ImportWorld) -> None:
    created = await world.svc.create(actor_of(world.rep),
                                     CreateImport("客户.csv", "客户名称\n甲".encode("gb18030")))
    assert await world.svc.run(created.id) is False
    failed = world.record(created.id)
    assert failed.status == ImportStatus.FAILED
    assert failed.error == "the file could not be processed (UnicodeDecodeError)"
    assert world.file(created.id).content is None
    assert await world.svc.run(created.id) is False  # a failed import stays failed


async def test_the_sweep_requeues_stalled_imports_and_forgets_old_previews(
        world: ImportWorld) -> None:
    world.queue.down = True
    stalled = await world.upload(world.rep, ROW)
    world.queue.down = False
    preview = await world.imported(world.rep, ROW, dry_run=True)
    world.clock.advance(days=1, seconds=1)
    assert await world.svc.sweep_stale() == 1
    assert any(k.startswith(f"import:{stalled.id}:") for k in world.queue.jobs)
    expired = world.record(preview.id)
    assert expired.status == ImportStatus.FAILED and world.file(preview.id).content is None

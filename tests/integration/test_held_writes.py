"""Writes held until the unit of work commits (adapters/db/held_writes.py):
all of them land, in order, or none; a read in the same unit sees them."""

from __future__ import annotations

from sqlalchemy import text

from adapters.bootstrap import Container
from domain.shared.text import literal
from tests.conftest import World


async def test_log_rows_held_to_the_commit_are_all_written_in_order_or_not_at_all(
        container: Container) -> None:
    """A unit of work holds its audit and timeline rows until it commits (one statement with
    its events); a bulk write goes out at once, after what is held. Either way every row
    lands, in the order written, with the events; a unit that does not commit leaves none."""
    import uuid

    from domain.audit.model import AuditEntry
    from domain.shared.events import DomainEvent

    target = uuid.uuid4()

    def entry(i: int) -> AuditEntry:
        return AuditEntry(actor_type="system", actor_id=None, actor_label="test",
                          action=f"test.held.{i}", target_type="test", target_id=str(target),
                          diff={"i": [None, i]})

    async def actions() -> list[str]:
        async with container.engine.connect() as conn:
            return list((await conn.scalars(text(
                "SELECT action FROM audit_log WHERE target_id = :t ORDER BY id"),
                {"t": str(target)})).all())

    async with container.uow() as uow:
        await uow.audit.record(entry(0))
        await uow.audit.record_many([entry(i) for i in range(1, 450)])  # over the limit
        await uow.outbox.add_all([DomainEvent("test.held", "test", str(target), {})])
        await uow.audit.record(entry(450))
        assert len(await actions()) == 0, "not visible before the commit"
        await uow.commit()
    assert await actions() == [f"test.held.{i}" for i in range(451)]
    async with container.engine.connect() as conn:
        assert await conn.scalar(text(
            "SELECT count(*) FROM outbox WHERE aggregate_id = :t"), {"t": str(target)}) == 1

    rolled_back = uuid.uuid4()
    async with container.uow() as uow:
        await uow.audit.record(AuditEntry(actor_type="system", actor_id=None, actor_label="t",
                                          action="test.never", target_type="test",
                                          target_id=str(rolled_back), diff={}))
    async with container.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM audit_log WHERE target_id = :t"),
                                 {"t": str(rolled_back)}) == 0


async def test_a_task_held_to_the_commit_is_seen_by_a_read_in_the_same_unit(
        container: Container, world: World) -> None:
    """New tasks are held too; any read of tasks in the unit sends them first."""
    import uuid

    from domain.customers.activity import Task
    from domain.customers.ports import TaskFilter
    from domain.shared.paging import PageRequest

    related = uuid.uuid4()
    rep = world.users["rep"].id
    async with container.uow() as uow:
        task = Task.create(title="Call back", assignee_id=rep, created_by=None,
                           related_type="lead", related_id=related)
        await uow.tasks.add(task)
        found = await uow.tasks.get(task.id)
        assert found is not None and found.title == "Call back"
        listed = await uow.tasks.list(TaskFilter(related_id=related), PageRequest(limit=10))
        assert [t.id for t in listed.items] == [task.id]
        second = Task.create(title="Send the quote", assignee_id=rep, created_by=None,
                             related_type="lead", related_id=related)
        await uow.tasks.add(second)
        await uow.commit()
    async with container.uow() as uow:
        listed = await uow.tasks.list(TaskFilter(related_id=related), PageRequest(limit=10))
        assert {t.title for t in listed.items} == {"Call back", "Send the quote"}


async def test_a_notification_and_its_deliveries_are_held_to_the_commit_and_seen_in_the_unit(
        container: Container, world: World) -> None:
    """A notification and its e-mail delivery go out with the commit, in one statement (the
    delivery refers to the notification); a read of either in the unit sends them first, and
    a unit that does not commit leaves neither."""
    import uuid

    from domain.notifications.kinds import Channel
    from domain.notifications.model import Notification
    from domain.notifications.ports import DeliveryFilter
    from domain.shared.paging import PageRequest

    rep = world.users["rep"].id

    def assigned() -> Notification:
        return Notification.for_event(
            rep, "lead_assigned", "New lead", "Call them", uuid.uuid4(),
            data={"lead_id": str(uuid.uuid4()), "label": "L-1", "grade": "high",
                  "reason": "round-robin"})

    async def stored(notification_id: uuid.UUID) -> tuple[int, list[str]]:
        async with container.engine.connect() as conn:
            rows = await conn.scalar(text("SELECT count(*) FROM notifications WHERE id = :i"),
                                     {"i": notification_id})
            channels = (await conn.scalars(text(
                "SELECT channel FROM notification_deliveries WHERE notification_id = :i"),
                {"i": notification_id})).all()
            return int(rows or 0), list(channels)

    async with container.uow() as uow:
        unread = await uow.notifications.unread_count(rep)
        first = assigned()
        await uow.notifications.add(first)
        assert await stored(first.id) == (0, []), "held until the commit"
        assert await uow.notifications.unread_count(rep) == unread + 1
        deliveries = await uow.deliveries.list(DeliveryFilter(notification_id=first.id),
                                               PageRequest(limit=10))
        assert [d.channel for d in deliveries.items] == [Channel.EMAIL]
        second = assigned()
        await uow.notifications.add(second)
        await uow.commit()
    assert await stored(first.id) == (1, ["email"])
    assert await stored(second.id) == (1, ["email"])

    async with container.uow() as uow:
        dropped = assigned()
        await uow.notifications.add(dropped)
    assert await stored(dropped.id) == (0, [])


async def test_a_lead_held_to_the_commit_is_found_by_the_next_capture_in_the_unit(
        container: Container, world: World) -> None:
    """A new lead waits for the commit (with its timeline, task and events); a read of leads in
    the unit sends it first, so an import's next row of the same person finds it. Its
    created_at is the transaction's timestamp, as the column's default would have made it."""
    from domain.customers.model import Source
    from domain.leads.model import Lead, lead_number, matchable_contact
    from domain.leads.routing import AssignedBy, Assignment
    from domain.shared.authz import Visibility

    phone = "13987654321"
    async with container.uow() as uow:
        seq = await uow.leads.next_sequence(matchable_contact(phone, None))
        lead = Lead.capture(number=lead_number(container.clock.now(), seq),
                            source=Source.TRADE_SHOW, now=container.clock.now(),
                            created_by=None, name="周八", phone=phone)
        lead.assign(world.users["rep"].id, world.departments["east"].id,
                    Assignment(AssignedBy.MANUAL, literal("test")), container.clock.now())
        await uow.leads.add(lead)
        async with container.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM leads WHERE id = :i"),
                                     {"i": lead.id}) == 0, "held until the commit"
        original, _ = await uow.leads.find_by_contact(phone, None)
        assert original is not None and original.id == lead.id
        assert await uow.leads.get(lead.id, Visibility(everything=True)) is not None
        await uow.commit()
    async with container.engine.connect() as conn:
        created, now = (await conn.execute(text(
            "SELECT created_at, updated_at FROM leads WHERE id = :i"), {"i": lead.id})).one()
    assert created == now == lead.created_at


async def test_held_writes_compile_once_whatever_the_rows() -> None:
    """Units of the same shape send the same statement: SQLAlchemy compiles it once and caches
    it (a multi-row VALUES insert cannot be cached: it would be compiled on every capture)."""
    import json
    import uuid

    from adapters.db import tables
    from adapters.db.held_writes import HeldWrites

    def held(n: int) -> tuple[object, dict[str, object]]:
        writes = HeldWrites()
        writes.rows[tables.lead_activity] = [
            {"lead_id": uuid.uuid4(), "kind": "note", "summary": f"s{i}", "actor_id": None,
             "actor_label": "test", "data": {"i": i}} for i in range(n)]
        writes.count = n
        statement = writes.statement([{"id": uuid.uuid4(), "type": "test.held",
                                       "aggregate_type": "test", "aggregate_id": "x",
                                       "payload": {}, "occurred_at": None}])
        assert statement is not None
        return statement

    (one, _), (other, p2) = held(2), held(3)
    key = one._generate_cache_key()  # type: ignore[attr-defined]
    assert key is not None and key == other._generate_cache_key()  # type: ignore[attr-defined]
    # JSON goes in as its text (a list would be taken for an array's dimension)
    assert [json.loads(x)["i"] for x in p2["h0_data"]] == [0, 1, 2]  # type: ignore[attr-defined]

"""E-mail and SMS deliveries of notifications, against a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from domain.shared.authz import Role
from domain.shared.dispatch import EventDispatcher
from tests.conftest import CachingHasher, World, drain
from tests.integration.notify_helpers import LEAD_DATA, SmtpServer, free_port, notify


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
async def mailer(settings: Settings, smtp: SmtpServer, container: Container
                 ) -> AsyncIterator[Container]:
    """The same database, sending through the loopback SMTP server, with tiny retry waits."""
    smtp.mailbox.messages.clear()
    c = build(settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
        "smtp_timeout": 2.0, "smtp_from": "CRM <crm@example.com>",
        "delivery_retry_seconds": "0.2,0.2",
        "queue_name": f"crm:test:mail:{uuid.uuid4().hex[:6]}"}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    yield c
    await c.close()


async def deliveries(c: Container, user_id: uuid.UUID) -> list[dict]:  # type: ignore[type-arg]
    async with c.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT channel, status, attempts, last_error FROM notification_deliveries "
            "WHERE user_id = :u ORDER BY created_at"), {"u": user_id})
        return [dict(r._mapping) for r in rows]


async def test_a_new_users_welcome_arrives_by_email_in_chinese_by_default(
    mailer: Container, smtp: SmtpServer, world: World
) -> None:
    await drain(mailer)  # the welcome consumer, then the delivery of its notification
    rep = world.users["rep"]
    (msg,) = smtp.mailbox.to(rep.email)
    assert msg["Subject"] == f"欢迎使用 CRM，{rep.name}"
    assert f"您的账号 {rep.email} 已开通" in msg.get_content()
    assert msg["From"] == "CRM <crm@example.com>"
    assert await deliveries(mailer, rep.id) == [
        {"channel": "email", "status": "sent", "attempts": 1, "last_error": None}]


async def test_a_consumer_that_died_before_sending_is_covered_by_the_sweep(
    mailer: Container, smtp: SmtpServer, world: World
) -> None:
    await drain(mailer)
    smtp.mailbox.messages.clear()
    user = await mailer.identity.create_user(
        world.actor("admin"), email=f"late.{uuid.uuid4().hex[:6]}@example.com", name="Late",
        role=Role.SALES_REP, department_id=world.departments["east"].id,
        password="password-123456")
    async with mailer.engine.connect() as conn:
        (event_id,) = (await conn.execute(text(
            "SELECT id FROM outbox WHERE type = 'user.created' AND payload->>'user_id' = :u"),
            {"u": str(user.id)})).scalars()
    # The consumer commits (and is told a send follows), then its worker dies before sending.
    dying = EventDispatcher(mailer.uow, mailer.dispatcher.handlers,
                            before=mailer.delivery.will_send_after_commit)
    assert await dying.dispatch(event_id) == 1
    assert smtp.mailbox.to(user.email) == []
    assert await deliveries(mailer, user.id) == [
        {"channel": "email", "status": "pending", "attempts": 0, "last_error": None}]
    assert await mailer.delivery.send_due() == 1  # the cron sweep
    assert len(smtp.mailbox.to(user.email)) == 1
    assert await mailer.delivery.send_due() == 0


async def test_email_comes_in_the_language_the_recipient_chose(
    mailer: Container, smtp: SmtpServer, world: World, client: httpx.AsyncClient
) -> None:
    await drain(mailer)  # the welcome e-mails
    smtp.mailbox.messages.clear()
    r = await client.put("/api/v1/me/notification-preferences", headers=world.auth("manager"),
                         json={"locale": "en"})
    assert r.status_code == 200, r.text
    await notify(mailer, world.users["manager"].id)
    await notify(mailer, world.users["rep"].id)
    await drain(mailer)
    (en,) = smtp.mailbox.to(world.users["manager"].email)
    assert en["Subject"] == "New high lead assigned to you: Acme Ltd / Li Lei"
    assert "Hello Manager" in en.get_content() and "territory East" in en.get_content()
    (zh,) = smtp.mailbox.to(world.users["rep"].email)
    assert zh["Subject"] == "新线索分配给您：Acme Ltd / Li Lei（高意向）"


async def test_no_email_when_the_recipient_turned_it_off(
    mailer: Container, smtp: SmtpServer, world: World, client: httpx.AsyncClient
) -> None:
    await drain(mailer)
    smtp.mailbox.messages.clear()
    r = await client.put("/api/v1/me/notification-preferences", headers=world.auth("rep"),
                         json={"kinds": [{"kind": "lead_assigned", "channels": ["in_app"]}]})
    assert r.status_code == 200, r.text
    n = await notify(mailer, world.users["rep"].id)
    await notify(mailer, world.users["rep"].id, kind="customer_assigned",
                 data={"customer_id": str(uuid.uuid4()), "name": "Acme", "number": "C1"})
    await drain(mailer)
    (only,) = smtp.mailbox.to(world.users["rep"].email)
    assert "Acme" in only["Subject"] and "客户" in only["Subject"], "other kinds still e-mail"
    inbox = await client.get("/api/v1/notifications", headers=world.auth("rep"))
    assert str(n.id) in {x["id"] for x in inbox.json()["items"]}, "the in-app row is still there"


async def test_smtp_down_retries_then_a_visible_failure_then_smtp_back_delivers(
    mailer: Container, smtp: SmtpServer, world: World, client: httpx.AsyncClient
) -> None:
    await drain(mailer)
    rep = world.users["rep"]
    smtp.stop()
    try:
        await notify(mailer, rep.id)
        await drain(mailer)  # attempt 1, at once
        (d,) = [x for x in await deliveries(mailer, rep.id) if x["status"] != "sent"]
        assert d["status"] == "pending" and d["attempts"] == 1
        assert "unreachable" in d["last_error"]
        assert await mailer.delivery.send_due() == 0, "not due before its retry time"
        for _ in range(2):  # the two retries of "0.2,0.2"
            await asyncio.sleep(0.3)
            assert await mailer.delivery.send_due() == 1
    finally:
        smtp.start()
    r = await client.get("/api/v1/notifications/deliveries", headers=world.auth("rep"),
                         params={"status": "failed"})
    assert r.status_code == 200, r.text
    (failed,) = r.json()["items"]
    assert failed["channel"] == "email" and failed["attempts"] == 3
    assert failed["kind"] == "lead_assigned" and failed["next_attempt_at"] is None
    assert "unreachable" in failed["last_error"]
    # Admins see it too, filtered by user and status; others may not look.
    admin = await client.get("/api/v1/notifications/deliveries", headers=world.auth("admin"),
                             params={"user_id": str(rep.id), "status": "failed"})
    assert [x["id"] for x in admin.json()["items"]] == [failed["id"]]
    everyone = await client.get("/api/v1/notifications/deliveries",
                                headers=world.auth("admin"), params={"all_users": "true"})
    assert failed["id"] in {x["id"] for x in everyone.json()["items"]}
    peek = await client.get("/api/v1/notifications/deliveries", headers=world.auth("manager"),
                            params={"user_id": str(rep.id)})
    assert peek.status_code == 403
    bad = await client.get("/api/v1/notifications/deliveries", headers=world.auth("rep"),
                           params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "status"
    # The failed one stays failed; a new notification goes through.
    await asyncio.sleep(0.3)
    assert await mailer.delivery.send_due() == 0
    before = len(smtp.mailbox.to(rep.email))
    await notify(mailer, rep.id, data={**LEAD_DATA, "label": "Back Online Co"})
    await drain(mailer)
    mails = smtp.mailbox.to(rep.email)
    assert len(mails) == before + 1 and "Back Online Co" in mails[-1]["Subject"]
    # The failed one is tried once more when its recipient (or an admin) asks.
    retry = f"/api/v1/notifications/deliveries/{failed['id']}/retry"
    assert (await client.post(retry, headers=world.auth("manager"))).status_code == 404
    r = await client.post(retry, headers=world.auth("rep"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending"
    await drain(mailer)
    assert len(smtp.mailbox.to(rep.email)) == before + 2
    (d,) = [x for x in (await client.get("/api/v1/notifications/deliveries",
                                         headers=world.auth("rep"))).json()["items"]
            if x["id"] == failed["id"]]
    assert d["status"] == "sent" and d["attempts"] == 4
    again = await client.post(retry, headers=world.auth("admin"))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_a_worker_rerun_does_not_send_twice(
    mailer: Container, smtp: SmtpServer, world: World
) -> None:
    await drain(mailer)
    rep = world.users["rep"]
    smtp.mailbox.messages.clear()
    await notify(mailer, rep.id)
    await drain(mailer)
    assert len(smtp.mailbox.to(rep.email)) == 1
    # The delivery jobs again: through the dispatcher, and with their markers and relay flags
    # reset (as if each job's success had been lost and arq delivered it again).
    async with mailer.engine.begin() as conn:
        event_ids = list((await conn.execute(text(
            "SELECT id FROM outbox WHERE type = 'notification.created'"))).scalars())
        await conn.execute(text("DELETE FROM processed_events WHERE consumer = 'notify.deliver'"))
        await conn.execute(text(
            "UPDATE outbox SET published_at = NULL WHERE type = 'notification.created'"))
    for event_id in event_ids:
        await mailer.dispatcher.dispatch(event_id)
    await drain(mailer)
    assert await mailer.delivery.send_due() == 0
    assert len(smtp.mailbox.to(rep.email)) == 1


async def test_a_sender_that_died_mid_send_is_resent_after_its_lease(
    mailer: Container, smtp: SmtpServer, world: World
) -> None:
    await drain(mailer)
    rep = world.users["rep"]
    smtp.mailbox.messages.clear()
    await notify(mailer, rep.id)  # no relay, no worker: as if Redis were down
    now = mailer.clock.now()
    async with mailer.uow() as uow:  # a sender claims it, then dies before sending
        (held,) = await uow.deliveries.claim_due(now, now + timedelta(seconds=0.5),
                                                 uuid.uuid4(), 10)
        await uow.commit()
    assert await mailer.delivery.send_due() == 0, "held by the dead sender's lease"
    await asyncio.sleep(0.6)
    # The sweep (the worker's cron) needs no queue: the database holds what is owed.
    assert await mailer.delivery.send_due() == 1
    assert len(smtp.mailbox.to(rep.email)) == 1
    async with mailer.uow() as uow:
        assert not await uow.deliveries.record(held), "the dead sender's claim is void"
    *_welcome, d = await deliveries(mailer, rep.id)
    assert d["status"] == "sent" and d["attempts"] == 2


async def test_sms_goes_through_the_port_with_the_number_masked_in_the_log(
    mailer: Container, world: World, client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture
) -> None:
    await drain(mailer)
    r = await client.put("/api/v1/me/notification-preferences", headers=world.auth("rep"),
                         json={"mobile": "+86 138 1234 5678", "kinds": [
                             {"kind": "lead_assigned", "channels": ["in_app", "sms"]}]})
    assert r.status_code == 200, r.text
    assert r.json()["mobile"] == "138****5678"
    with caplog.at_level(logging.INFO, logger="crm.sms"):
        await notify(mailer, world.users["rep"].id)
        await drain(mailer)
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    sms = [d for d in await deliveries(mailer, world.users["rep"].id) if d["channel"] == "sms"]
    assert sms == [{"channel": "sms", "status": "sent", "attempts": 1, "last_error": None}]
    async with mailer.engine.connect() as conn:
        stored = await conn.scalar(text("SELECT mobile_enc FROM notification_preferences"))
    assert stored and "13812345678" not in stored, "the number is encrypted at rest"


async def test_in_app_text_comes_from_the_in_app_template_in_the_recipients_language(
    mailer: Container, world: World, client: httpx.AsyncClient
) -> None:
    await client.put("/api/v1/me/notification-preferences", headers=world.auth("manager"),
                     json={"locale": "en"})
    await notify(mailer, world.users["rep"].id)
    await notify(mailer, world.users["manager"].id)
    # A consumer that gave fewer variables than the template needs: its own words are kept.
    await notify(mailer, world.users["rep"].id, data={"label": "Thin Co"})

    async def inbox(who: str, language: str = "zh-CN") -> list[dict]:  # type: ignore[type-arg]
        r = await client.get("/api/v1/notifications", params={"limit": 200},
                             headers={**world.auth(who), "Accept-Language": language})
        return [n for n in r.json()["items"] if n["kind"] == "lead_assigned"]

    # The rep saved no language: the words follow the language the reader asks in.
    thin, zh = await inbox("rep")
    assert zh["title"] == "新线索分配给您：Acme Ltd / Li Lei（高意向）"
    assert zh["body"] == "线索 Acme Ltd / Li Lei（高意向）：territory East。请在一天内首次联系。"
    assert thin["title"] == "New lead assigned to you" and thin["body"] == "Lead Acme Ltd"
    _, en = await inbox("rep", "en")
    assert en["title"] == "New high lead assigned to you: Acme Ltd / Li Lei"
    # The manager saved English: that wins over the browser's Chinese.
    (en,) = await inbox("manager")
    assert en["title"] == "New high lead assigned to you: Acme Ltd / Li Lei"


async def test_a_custom_template_is_what_gets_sent_until_it_is_deleted(
    mailer: Container, smtp: SmtpServer, world: World, client: httpx.AsyncClient
) -> None:
    await drain(mailer)
    smtp.mailbox.messages.clear()
    r = await client.post("/api/v1/templates", headers=world.auth("admin"), json={
        "kind": "lead_assigned", "channel": "email", "locale": "zh-CN",
        "subject": "【紧急】{label}", "body": "{recipient_name}，今天联系 {label}。"})
    assert r.status_code == 201, r.text
    rep = world.users["rep"]
    await notify(mailer, rep.id)
    await drain(mailer)
    (custom,) = smtp.mailbox.to(rep.email)
    assert custom["Subject"] == "【紧急】Acme Ltd / Li Lei"
    assert custom.get_content().strip() == f"{rep.name}，今天联系 Acme Ltd / Li Lei。"
    await client.delete(f"/api/v1/templates/{r.json()['id']}", headers=world.auth("admin"))
    await notify(mailer, rep.id)
    await drain(mailer)
    assert smtp.mailbox.to(rep.email)[-1]["Subject"].startswith("新线索分配给您")


async def test_a_consumers_email_leaves_right_after_its_commit_with_no_second_job(
    mailer: Container, smtp: SmtpServer, world: World
) -> None:
    await drain(mailer)
    smtp.mailbox.messages.clear()
    rep = world.users["rep"]
    event_id = uuid.uuid4()
    async with mailer.engine.begin() as conn:  # what the customer service commits
        await conn.execute(text(
            "INSERT INTO outbox (id, type, aggregate_type, aggregate_id, payload, occurred_at) "
            "VALUES (:id, 'customer.reassigned', 'customer', 'c1', CAST(:p AS jsonb), now())"),
            {"id": event_id, "p": json.dumps({
                "customer_id": str(uuid.uuid4()), "number": "C202611000001", "name": "Fast Co",
                "from_owner_id": str(uuid.uuid4()), "to_owner_id": str(rep.id), "by": None})})
    assert await mailer.dispatcher.dispatch(event_id) == 1  # the consumer, as the job runs it
    (mail,) = smtp.mailbox.to(rep.email)
    assert mail["Subject"] == "客户 Fast Co 已分配给您"
    # Its own event only: the notification got no outbox event (a job for it would find
    # nothing to send; the delivery sweep covers a worker that dies before the send).
    assert await mailer.relay.pending() == 1
    await drain(mailer)
    assert len(smtp.mailbox.to(rep.email)) == 1

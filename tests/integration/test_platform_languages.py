"""Sign-in, notifications and webhooks speak the reader's language: the same code in every
language, and an in-app notification's words chosen when it is read, not when it was made."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from tests.conftest import CachingHasher, World, drain
from tests.integration.notify_helpers import SmtpServer, free_port, notify

pytestmark = pytest.mark.asyncio

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.8"}

APPROVAL = {"contract_id": str(uuid.uuid4()), "contract_number": "HT-2026-0042",
            "contract_title": "年度供货", "amount": "300000.00", "currency": "CNY",
            "customer_name": "华东贸易", "owner_name": "王芳", "step": 1,
            # The step as notifications written so far name it (its English label).
            "step_name": "Sales manager"}


async def test_a_failed_log_in_reads_in_each_language_with_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    form = {"username": world.users["rep"].email, "password": "not-the-password"}
    zh = await client.post("/api/v1/auth/token", data=form, headers=ZH)
    en = await client.post("/api/v1/auth/token", data=form, headers=EN)
    assert zh.status_code == en.status_code == 401
    assert zh.json()["code"] == en.json()["code"] == "identity.wrong_credentials"
    assert zh.json()["detail"] == "邮箱或密码不正确"
    assert en.json()["detail"] == "Incorrect e-mail or password"
    assert zh.json()["title"] == "尚未登录" and en.json()["title"] == "Not authenticated"


async def _inbox(client: httpx.AsyncClient, world: World,
                 language: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = await client.get("/api/v1/notifications", headers={**world.auth("rep"), **language})
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


async def test_one_stored_notification_reads_in_the_readers_language_with_money_and_labels(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    rep = world.users["rep"]
    approval = await notify(container, rep.id, "approval_requested", data=APPROVAL)
    # A row whose data fits no template (its consumer wrote its own words) keeps them.
    own_words = await notify(container, rep.id, "welcome", data={})

    zh = await _inbox(client, world, ZH)
    en = await _inbox(client, world, EN)

    key = str(approval.id)
    assert en[key]["title"] == "Approval needed: contract HT-2026-0042"
    assert en[key]["body"] == ("Contract HT-2026-0042 (¥300,000.00) waits for your approval "
                               "(Sales manager).")
    assert zh[key]["title"] == "待您审批：合同 HT-2026-0042"
    assert zh[key]["body"] == "合同 HT-2026-0042（¥300,000.00）待您审批（销售经理）。"
    # The variables a client links with stay as they were stored, codes and all.
    assert zh[key]["data"] == en[key]["data"] == APPROVAL

    kept = str(own_words.id)
    assert zh[kept]["title"] == en[kept]["title"] == "New lead assigned to you"


async def test_switching_language_rewords_notifications_already_in_the_inbox(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    rep = world.users["rep"]
    approval = await notify(container, rep.id, "approval_requested", data=APPROVAL)
    saved = await client.put("/api/v1/me/notification-preferences",
                             headers=world.auth("rep"), json={"locale": "en"})
    assert saved.status_code == 200, saved.text
    # The saved language wins over the browser's: English although Chinese is asked for.
    inbox = await _inbox(client, world, ZH)
    assert inbox[str(approval.id)]["title"] == "Approval needed: contract HT-2026-0042"


async def test_a_webhook_validation_error_reads_in_each_language_with_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    body = {"url": "ftp://hooks.example.com/h", "event_types": ["customer.created"]}
    zh = await client.post("/api/v1/webhooks", json=body, headers={**world.auth("admin"), **ZH})
    en = await client.post("/api/v1/webhooks", json=body, headers={**world.auth("admin"), **EN})
    assert zh.status_code == en.status_code == 422
    (zh_error,), (en_error,) = zh.json()["errors"], en.json()["errors"]
    assert zh_error["field"] == en_error["field"] == "url"
    assert zh_error["code"] == en_error["code"] == "webhook.http_only"
    assert zh_error["message"] == "须使用 http 或 https"
    assert en_error["message"] == "must use http or https"

    unknown = {"url": "https://hooks.example.com/h", "event_types": ["customer.exploded"]}
    zh = await client.post("/api/v1/webhooks", json=unknown,
                           headers={**world.auth("admin"), **ZH})
    assert zh.status_code == 422
    assert zh.json()["errors"][0]["code"] == "webhook.unknown_event_type"
    assert zh.json()["errors"][0]["message"].startswith("'customer.exploded' 不是可订阅的事件类型")


async def test_a_missing_permission_names_it_by_its_label(
        client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/audit-log", headers={**world.auth("rep"), **ZH})
    assert r.status_code == 403
    assert r.json()["code"] == "scope_needed"
    assert r.json()["detail"] == "此操作需要“查看审计日志”权限"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
async def mailer(settings: Settings, smtp: SmtpServer, container: Container
                 ) -> AsyncIterator[Container]:
    """The same database, sending through the loopback SMTP server."""
    c = build(settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
        "smtp_timeout": 2.0, "smtp_from": "CRM <crm@example.com>",
        "queue_name": f"crm:test:words:{uuid.uuid4().hex[:6]}"}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    yield c
    await c.close()


async def test_an_email_is_written_in_the_recipients_saved_language(
        client: httpx.AsyncClient, world: World, mailer: Container, smtp: SmtpServer) -> None:
    await drain(mailer)
    rep, manager = world.users["rep"], world.users["manager"]
    for who, locale in (("rep", "zh-CN"), ("manager", "en")):
        saved = await client.put("/api/v1/me/notification-preferences",
                                 headers=world.auth(who), json={"locale": locale})
        assert saved.status_code == 200, saved.text
    await notify(mailer, rep.id, "approval_requested", data=APPROVAL)
    await notify(mailer, manager.id, "approval_requested", data=APPROVAL)
    await drain(mailer)

    def about_the_contract(address: str) -> list[Any]:
        return [m for m in smtp.mailbox.to(address) if "HT-2026-0042" in m["Subject"]]

    (chinese,) = about_the_contract(rep.email)
    assert chinese["Subject"] == "待您审批：合同 HT-2026-0042"
    text = chinese.get_content()
    assert "金额 ¥300,000.00，" in text and "第 1 步（销售经理）" in text

    (english,) = about_the_contract(manager.email)
    assert english["Subject"] == "Approval needed: contract HT-2026-0042"
    text = english.get_content()
    assert "¥300,000.00, owner 王芳" in text and "step 1 (Sales manager)" in text

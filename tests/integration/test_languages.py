"""Words the server writes follow the caller: the user's saved language, else the browser's
Accept-Language, else the organisation's; the codes stay the same in every language."""

from __future__ import annotations

import httpx
import pytest

from adapters.bootstrap import Container
from adapters.web import create_web_app
from tests.conftest import World

pytestmark = pytest.mark.asyncio


async def _bad_customer(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/customers", headers=headers,
                             json={"name": "x" * 500, "kind": "company", "unknown": 1})


async def test_the_same_validation_error_in_chinese_and_english_with_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    zh = await _bad_customer(client, {**world.auth("rep"), "Accept-Language": "zh-CN,zh;q=0.9"})
    en = await _bad_customer(client, {**world.auth("rep"), "Accept-Language": "en-US"})
    assert zh.status_code == en.status_code == 422
    assert zh.headers["content-type"] == "application/problem+json"
    assert zh.json()["type"] == en.json()["type"] == "/problems/validation"
    assert zh.json()["title"] == "校验未通过"
    assert en.json()["title"] == "Validation failed"
    zh_errors = {e["field"]: e for e in zh.json()["errors"]}
    en_errors = {e["field"]: e for e in en.json()["errors"]}
    assert zh_errors.keys() == en_errors.keys()
    for name in zh_errors:
        assert zh_errors[name]["code"] == en_errors[name]["code"]
    assert en_errors["unknown"]["code"] == "unknown_field"
    assert en_errors["unknown"]["message"] == "is not a known field"
    assert zh_errors["unknown"]["message"] == "不是可识别的字段"
    assert "Accept-Language" in zh.headers["vary"]


async def test_a_problem_the_domain_raises_is_written_in_the_callers_language(
        client: httpx.AsyncClient, world: World) -> None:
    missing = "/api/v1/customers/00000000-0000-4000-8000-000000000000"
    zh = await client.get(missing, headers={**world.auth("rep"), "Accept-Language": "zh"})
    en = await client.get(missing, headers={**world.auth("rep"), "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert zh.json()["code"] == en.json()["code"] == "not_found"
    assert zh.json()["detail"].startswith("客户 ")
    assert en.json()["detail"].startswith("The customer ")


async def test_a_saved_language_wins_over_the_browsers(client: httpx.AsyncClient,
                                                       world: World) -> None:
    saved = await client.put("/api/v1/me/notification-preferences",
                             headers=world.auth("rep"), json={"locale": "zh-CN"})
    assert saved.status_code == 200, saved.text
    r = await _bad_customer(client, {**world.auth("rep"), "Accept-Language": "en"})
    assert r.json()["title"] == "校验未通过"


async def test_without_a_language_the_organisations_default_is_used(
        container: Container, world: World) -> None:
    assert container.settings.default_locale == "en"  # the suite's organisation
    container.settings.default_locale = "zh-CN"
    try:
        app = create_web_app(container)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://crm.test") as chinese:
            r = await chinese.post("/api/v1/auth/token",
                                   data={"username": "nobody@example.com", "password": "wrong"})
    finally:
        container.settings.default_locale = "en"
    assert r.status_code == 401
    assert r.json()["title"] == "尚未登录"

"""Customers, picklists and imports in the caller's language: the same refusal in zh-CN and en
under one code, timeline lines rendered when read, picklist values with words per language, and
an import's row reasons in the language of whoever started it."""

from __future__ import annotations

import httpx
import pytest

from adapters.bootstrap import Container
from tests.conftest import World
from tests.integration.customers_helpers import create, new_customer
from tests.integration.test_imports import errors_of, finished, gb18030_csv

pytestmark = pytest.mark.asyncio

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.8"}


async def test_a_company_name_refused_in_both_languages_under_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    body = new_customer(name="明远精密")
    answers = {}
    for language, header in (("zh", ZH), ("en", EN)):
        r = await client.post("/api/v1/customers", json=body,
                              headers={**world.auth("rep"), **header})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        answers[language] = error
    assert answers["zh"]["field"] == answers["en"]["field"] == "name"
    assert answers["zh"]["code"] == answers["en"]["code"] == "customer.company_full_name"
    assert answers["zh"]["message"] == "须填写公司全称（如 …有限公司），不能使用简称"
    assert answers["en"]["message"] == ("must be the company's full legal name "
                                        "(e.g. …有限公司 or … Ltd), not an abbreviation")


async def test_a_grade_move_refused_names_the_grades_by_their_labels(
        client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    url = f"/api/v1/customers/{c['id']}"
    zh = await client.patch(url, json={"grade": "churned"},
                            headers={**world.auth("rep"), **ZH, "If-Match": f'"{c["version"]}"'})
    en = await client.patch(url, json={"grade": "churned"},
                            headers={**world.auth("rep"), **EN, "If-Match": f'"{c["version"]}"'})
    assert zh.status_code == en.status_code == 409, zh.text
    assert zh.json()["code"] == en.json()["code"] == "customer.grade_move"
    assert zh.json()["detail"] == "客户等级不能从「潜在」变为「已流失」（「潜在」只能变为：意向）"
    assert en.json()["detail"] == ("A customer cannot go from potential to churned "
                                   "(from potential it can go to: intent)")


async def test_timeline_lines_are_read_in_the_readers_language(
        client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    r = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=world.auth("rep"),
                          json={"method": "visit", "occurred_at": "2026-11-20T09:30:00+08:00",
                                "summary": "确认二期需求"})
    assert r.status_code == 201, r.text
    url = f"/api/v1/customers/{c['id']}/timeline"
    zh = (await client.get(url, headers={**world.auth("rep"), **ZH})).json()["items"]
    en = (await client.get(url, headers={**world.auth("rep"), **EN})).json()["items"]
    assert [e["code"] for e in zh] == [e["code"] for e in en] == [
        "customer.line.followup", "customer.line.created"]
    assert [e["summary"] for e in zh] == ["拜访：确认二期需求", f"创建了客户 {c['number']}"]
    assert [e["summary"] for e in en] == ["visit: 确认二期需求", f"Customer {c['number']} created"]


async def test_picklist_values_carry_words_in_both_languages(
        client: httpx.AsyncClient, world: World) -> None:
    url = "/api/v1/picklists/industry"
    zh = (await client.get(url, headers={**world.auth("rep"), **ZH})).json()
    en = (await client.get(url, headers={**world.auth("rep"), **EN})).json()
    assert zh["values"] == en["values"] == [item["value"] for item in zh["items"]]
    made_zh = next(item for item in zh["items"] if item["value"] == "manufacturing")
    made_en = next(item for item in en["items"] if item["value"] == "manufacturing")
    assert made_zh["label"] == "制造业" and made_en["label"] == "Manufacturing"
    assert made_zh["labels"] == made_en["labels"] == {"zh-CN": "制造业", "en": "Manufacturing"}

    admin = world.auth("admin")
    both = await client.post(url, headers=admin, json={
        "value": "robotics", "labels": {"zh-CN": "机器人", "en": "Robotics"}})
    chinese_only = await client.post(url, headers=admin, json={
        "value": "drones", "labels": {"zh-CN": "无人机"}})
    older_form = await client.post(url, headers=admin, json={"value": "mining", "label": "采矿"})
    assert (both.status_code, chinese_only.status_code, older_form.status_code) == (204,) * 3
    items = {item["value"]: item for item in (await client.get(
        url, headers={**world.auth("rep"), **EN})).json()["items"]}
    assert items["robotics"]["label"] == "Robotics"
    assert items["drones"]["labels"] == {"zh-CN": "无人机", "en": "无人机"}
    assert items["mining"]["labels"] == {"zh-CN": "采矿", "en": "采矿"}

    renamed = await client.post(url, headers=admin, json={
        "value": "drones", "labels": {"zh-CN": "无人机", "en": "Drones"}})
    assert renamed.status_code == 204
    items = {item["value"]: item for item in (await client.get(
        url, headers={**world.auth("rep"), **EN})).json()["items"]}
    assert items["drones"]["label"] == "Drones"

    wordless = await client.post(url, headers={**admin, **ZH}, json={"value": "space"})
    assert wordless.status_code == 422
    (error,) = wordless.json()["errors"]
    assert (error["field"], error["code"], error["message"]) == ("labels.zh-CN", "required",
                                                                  "必填")
    await create(client, world, industry="drones")  # a value added is accepted at once


async def test_import_row_reasons_are_written_in_the_requesters_language(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    reasons = {}
    for language, header, company in (("zh", ZH, "杭州东方星象文化有限公司"),
                                      ("en", EN, "苏州西方星象文化有限公司")):
        r = await client.post("/api/v1/imports", headers={**world.auth("rep"), **header},
                              files={"file": ("星象.csv", gb18030_csv([
                                  [company, "王五", "13912345678", "", "占星术", "", ""]]))})
        assert r.status_code == 202, r.text
        done = await finished(client, world, container, r.json()["id"])
        assert done["rejected"] == 1
        # read back with no language asked: the reasons were written for their requester
        reasons[language] = [row[2] for row in await errors_of(client, world, r.json()["id"])]
    assert reasons["zh"] == ["「占星术」不在行业选项中"]
    assert reasons["en"] == ["'占星术' is not in the industry list"]

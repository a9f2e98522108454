"""Contracts speak the reader's language: a timeline line, a refusal and an approval notice,
each asked for in zh-CN and in en, read in that language with the same code behind it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.bootstrap import Container
from tests.conftest import World, drain
from tests.integration.contracts_helpers import BIG, contract, post

pytestmark = pytest.mark.asyncio

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.8"}


async def _timeline(client: httpx.AsyncClient, world: World, customer_id: str,
                    language: dict[str, str]) -> list[str]:
    r = await client.get(f"/api/v1/customers/{customer_id}/timeline",
                         headers={**world.auth("rep"), **language})
    assert r.status_code == 200, r.text
    return [e["summary"] for e in r.json()["items"]]


async def test_a_submitted_contract_reads_in_each_language_with_its_steps_and_amount(
        client: httpx.AsyncClient, world: World) -> None:
    k = await contract(client, world, BIG)
    r = await post(client, world, "rep", f"/api/v1/contracts/{k['id']}/submit")
    assert r.status_code == 200, r.text

    zh = await _timeline(client, world, k["customer_id"], ZH)
    en = await _timeline(client, world, k["customer_id"], EN)
    number = k["number"]
    assert f"合同 {number} 已提交审批（销售经理 → 财务 → 高管）" in zh
    assert f"Contract {number} submitted for approval (Sales manager → Finance → Executive)" in en
    assert f"合同 {number} 已起草：2027 年度网关采购合同（¥1,200,000.00）" in zh
    assert f"Contract {number} drafted: 2027 年度网关采购合同 (¥1,200,000.00)" in en

    # The steps of the contract itself are named in the reader's language too.
    zh_steps = (await client.get(f"/api/v1/contracts/{k['id']}",
                                 headers={**world.auth("rep"), **ZH})).json()["steps"]
    assert [s["name"] for s in zh_steps] == ["销售经理", "财务", "高管"]
    assert [s["role"] for s in zh_steps] == ["manager", "finance", "executive"]


async def test_a_refused_contract_reads_in_each_language_with_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    body = {"end_date": "2026-01-01"}
    k = await contract(client, world, BIG)
    url = f"/api/v1/contracts/{k['id']}"
    answers = []
    for language in (ZH, EN):
        r = await client.patch(url, json=body, headers={**world.auth("rep"), **language,
                                                        "If-Match": f'"{k["version"]}"'})
        assert r.status_code == 422, r.text
        answers.append(r.json())
    zh, en = answers
    assert zh["errors"][0]["code"] == en["errors"][0]["code"] == "contract.end_before_start"
    assert zh["errors"][0]["field"] == en["errors"][0]["field"] == "end_date"
    assert zh["errors"][0]["message"] == "不能早于开始日期"
    assert en["errors"][0]["message"] == "must not be before start_date"

    # A refusal that names the contract's status names it by its label.
    assert (await post(client, world, "rep", f"{url}/submit")).status_code == 200
    zh = (await client.post(f"{url}/sign", headers={**world.auth("rep"), **ZH})).json()
    en = (await client.post(f"{url}/sign", headers={**world.auth("rep"), **EN})).json()
    assert zh["status"] == en["status"] == 409
    assert zh["code"] == en["code"] == "contract.cannot_move"
    assert zh["detail"] == "“审批中”的合同不能签署"
    assert en["detail"] == "A in approval contract cannot be signed"


async def _inbox(client: httpx.AsyncClient, world: World, who: str,
                 language: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/notifications", headers={**world.auth(who), **language})
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == "approval_requested"]


async def test_an_approval_notice_reads_in_each_language(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    k = await contract(client, world, BIG)
    r = await post(client, world, "rep", f"/api/v1/contracts/{k['id']}/submit")
    assert r.status_code == 200, r.text
    await drain(container)

    (zh,) = [n for n in await _inbox(client, world, "manager", ZH)
             if n["data"]["contract_id"] == k["id"]]
    (en,) = [n for n in await _inbox(client, world, "manager", EN)
             if n["data"]["contract_id"] == k["id"]]
    number = k["number"]
    assert zh["title"] == f"待您审批：合同 {number}"
    assert zh["body"] == f"合同 {number}（¥1,200,000.00）待您审批（销售经理）。"
    assert en["title"] == f"Approval needed: contract {number}"
    assert en["body"] == (f"Contract {number} (¥1,200,000.00) waits for your approval "
                          "(Sales manager).")
    # What a client links and branches on stays a code.
    assert zh["data"]["step_name"] == en["data"]["step_name"] == "manager"
    assert zh["data"]["amount"] == "1200000.00" and zh["data"]["currency"] == "CNY"

"""Leads and opportunities speak the caller's language: the same refusal in zh-CN and en with
one code, timeline lines written once and read in either language, and a Chinese
organisation's default pipeline seeded with Chinese stage names."""

from __future__ import annotations

import httpx
import pytest

from adapters.bootstrap import Container
from domain.customers.service import CustomerService
from domain.pipeline.service import OpportunityService
from domain.shared.authz import system_actor
from tests.conftest import World
from tests.integration.leads_helpers import capture
from tests.integration.test_pipeline_api import customer, default_pipeline, opportunity, stage

pytestmark = pytest.mark.asyncio

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US"}


async def test_a_lead_refusal_reads_in_both_languages_with_one_code(
        client: httpx.AsyncClient, world: World) -> None:
    lead = await capture(client, world.auth("rep"))
    url = f"/api/v1/leads/{lead['id']}"
    zh = await client.patch(url, json={"status": "disqualified"},
                            headers={**world.auth("rep"), **ZH})
    en = await client.patch(url, json={"status": "disqualified"},
                            headers={**world.auth("rep"), **EN})
    assert zh.status_code == en.status_code == 422
    (zh_error,), (en_error,) = zh.json()["errors"], en.json()["errors"]
    assert zh_error["field"] == en_error["field"] == "disqualify_reason"
    assert zh_error["code"] == en_error["code"] == "lead.disqualify_reason_required"
    assert en_error["message"] == "is required to disqualify"
    assert zh_error["message"] == "判定无效时须填写原因"

    # A move the lifecycle refuses names both statuses by their labels.
    assert (await client.patch(url, json={"status": "qualified"},
                               headers=world.auth("rep"))).status_code == 200
    zh = await client.patch(url, json={"status": "contacted"},
                            headers={**world.auth("rep"), **ZH})
    en = await client.patch(url, json={"status": "contacted"},
                            headers={**world.auth("rep"), **EN})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["code"] == en.json()["code"] == "lead.cannot_move"
    assert en.json()["detail"] == ("A lead cannot go from qualified to contacted (from "
                                   "qualified it can go to: disqualified)")
    assert zh.json()["detail"] == "线索不能从“已确认”变为“已联系”（“已确认”只能变为：无效）"


async def test_a_lead_timeline_line_reads_in_both_languages(
        client: httpx.AsyncClient, world: World) -> None:
    lead = await capture(client, world.auth("rep"), source="website")
    url = f"/api/v1/leads/{lead['id']}/timeline"
    zh = (await client.get(url, headers={**world.auth("rep"), **ZH})).json()["items"]
    en = (await client.get(url, headers={**world.auth("rep"), **EN})).json()["items"]
    zh_created = next(e for e in zh if e["kind"] == "created")
    en_created = next(e for e in en if e["kind"] == "created")
    assert zh_created["code"] == en_created["code"] == "lead.captured"
    assert en_created["summary"] == "Captured from website"
    assert zh_created["summary"] == "来自官网"
    # Who entered it, in each language, and never a raw code.
    zh_assigned = next(e for e in zh if e["kind"] == "assigned")
    en_assigned = next(e for e in en if e["kind"] == "assigned")
    assert en_assigned["summary"] == f"entered by {en_assigned['actor_label']}"
    assert zh_assigned["summary"] == f"由{zh_assigned['actor_label']}录入"
    # The lead's own assignment reason follows the reader too.
    zh_lead = (await client.get(f"/api/v1/leads/{lead['id']}",
                                headers={**world.auth("rep"), **ZH})).json()
    assert zh_lead["assignment"]["reason"] == zh_assigned["summary"]


async def test_an_opportunity_refusal_and_its_timeline_read_in_both_languages(
        client: httpx.AsyncClient, world: World) -> None:
    p = await default_pipeline(client, world)
    c = await customer(client, world)
    o = await opportunity(client, world, c["id"], name="二期产线改造")
    url = f"/api/v1/opportunities/{o['id']}"
    body = {"stage_id": stage(p, "proposal")}
    zh = await client.patch(url, json=body, headers={**world.auth("rep"), **ZH})
    en = await client.patch(url, json=body, headers={**world.auth("rep"), **EN})
    assert zh.status_code == en.status_code == 422
    zh_errors = {e["field"]: e for e in zh.json()["errors"]}
    en_errors = {e["field"]: e for e in en.json()["errors"]}
    assert zh_errors["quote_reference"]["code"] == en_errors["quote_reference"]["code"] \
        == "opportunity.quote_required"
    # The stage's name is the organisation's own data (English here): only the words around
    # it change language.
    assert en_errors["quote_reference"]["message"] == \
        "a quote document is required to enter Proposal/quote"
    assert zh_errors["quote_reference"]["message"] == "进入“Proposal/quote”阶段前须上传报价单"

    timeline = f"/api/v1/customers/{c['id']}/timeline"
    zh_line = (await client.get(timeline, headers={**world.auth("rep"), **ZH})).json()["items"][0]
    en_line = (await client.get(timeline, headers={**world.auth("rep"), **EN})).json()["items"][0]
    assert zh_line["code"] == en_line["code"] == "opportunity.opened"
    assert en_line["summary"] == f"Opportunity {o['number']} opened in Initial contact"
    assert zh_line["summary"] == f"商机 {o['number']} 已创建，当前阶段：Initial contact"


async def test_a_chinese_organisations_default_pipeline_has_chinese_stage_names(
        container: Container, world: World) -> None:
    customers = CustomerService(container.uow, container.clock,
                                container.customers.tier_policy)
    chinese = OpportunityService(container.uow, container.clock, customers, "zh-CN")
    (pipeline,) = await chinese.list_pipelines(system_actor("test"))
    assert pipeline.is_default and pipeline.name == "销售流程"
    assert [s.name for s in pipeline.stages] == [
        "初步接触", "需求分析", "方案报价", "合同签订", "已回款（赢单）", "输单"]
    assert [s.key for s in pipeline.stages] == [
        "initial_contact", "needs_analysis", "proposal", "contract_signing", "won", "lost"]

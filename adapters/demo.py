"""The demo organisation `make run` creates on first start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from adapters.bootstrap import Container
from domain.contracts.commands import DraftContract, LineSpec
from domain.contracts.model import ContractStatus
from domain.customers.activity import FollowUpMethod
from domain.customers.commands import (
    ContactDraft,
    CustomerChanges,
    NewCustomer,
    NewFollowUp,
    NewTask,
)
from domain.customers.model import Customer, CustomerKind, Grade, Source
from domain.identity.model import User
from domain.identity.service import principal_of
from domain.leads.commands import CaptureLead, CreateLeadForm
from domain.leads.routing import Method, RoutingRule, RoutingSettings
from domain.pipeline.commands import OpenOpportunity, OpportunityChanges, UpdateOpportunity
from domain.shared.authz import Actor, Role, system_actor

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    department: str


DEPARTMENTS = [  # (name, parent)
    ("总部", None),
    ("华东销售部", "总部"),
    ("华北销售部", "总部"),
    ("财务部", "总部"),
    ("法务部", "总部"),
    ("客服部", "总部"),
]

USERS = [
    DemoUser("admin@demo.crm", "系统管理员", Role.ADMIN, "总部"),
    DemoUser("manager@demo.crm", "王经理", Role.MANAGER, "华东销售部"),
    DemoUser("rep@demo.crm", "李销售", Role.SALES_REP, "华东销售部"),
    DemoUser("rep2@demo.crm", "张销售", Role.SALES_REP, "华东销售部"),
    DemoUser("north.rep@demo.crm", "赵销售", Role.SALES_REP, "华北销售部"),
    DemoUser("finance@demo.crm", "钱财务", Role.FINANCE, "财务部"),
    DemoUser("ceo@demo.crm", "孙总", Role.EXECUTIVE, "总部"),
    DemoUser("legal@demo.crm", "周法务", Role.LEGAL, "法务部"),
    DemoUser("service@demo.crm", "吴客服", Role.SERVICE_AGENT, "客服部"),
]


async def seed_demo(container: Container) -> bool:
    """Creates the demo organisation unless the database already has users."""
    async with container.uow() as uow:
        if await uow.users.count() > 0:
            return False
    actor = system_actor("demo")
    ids: dict[str, uuid.UUID] = {}
    for name, parent in DEPARTMENTS:
        dept = await container.identity.create_department(
            actor, name, ids[parent] if parent else None)
        ids[name] = dept.id
    users = {}
    for u in USERS:
        users[u.email] = await container.identity.create_user(
            actor, email=u.email, name=u.name, role=u.role, department_id=ids[u.department],
            password=DEMO_PASSWORD)
    customers = await _seed_customers(container, users)
    await _seed_sales(container, users, ids, customers)
    return True


CUSTOMERS = [  # owner, name, industry, region, annual purchase, grade, tags, contact, mobile
    ("rep@demo.crm", "上海明远精密机械制造有限公司", "manufacturing", "east", "1800000",
     "intent", ["重点客户", "B2B"], "张伟", "13812345678"),
    ("rep@demo.crm", "杭州西湖电子商务有限公司", "ecommerce", "east", "320000", "potential",
     ["电商"], "王芳", "13923456789"),
    ("rep@demo.crm", "苏州工业园区新材料科技有限公司", "manufacturing", "east", "90000",
     "closed", ["复购"], "刘洋", "13734567890"),
    ("rep2@demo.crm", "南京金陵医疗器械有限公司", "healthcare", "east", "650000", "intent",
     ["医疗"], "陈静", "13645678901"),
    ("rep2@demo.crm", "宁波港湾物流有限公司", "logistics", "east", None, "potential", [],
     "杨磊", "13556789012"),
    ("north.rep@demo.crm", "北京中关村软件股份有限公司", "software", "north", "2400000",
     "closed", ["重点客户", "SaaS"], "赵敏", "13467890123"),
    ("north.rep@demo.crm", "天津滨海能源发展有限公司", "energy", "north", "150000", "churned",
     ["流失预警"], "孙强", "13378901234"),
]


LIFECYCLE = [Grade.POTENTIAL, Grade.INTENT, Grade.CLOSED, Grade.CHURNED]


async def _seed_customers(container: Container, users: dict[str, User]
                          ) -> list[tuple[Customer, str]]:
    now = container.clock.now()
    created = []
    for owner, name, industry, region, purchase, grade, tags, contact, mobile in CUSTOMERS:
        rep = Actor(principal_of(users[owner]), ip="127.0.0.1")
        c = await container.customers.create(rep, NewCustomer(
            name=name, kind=CustomerKind.COMPANY, industry=industry, region=region,
            annual_purchase=Decimal(purchase) if purchase else None,
            grade=Grade.POTENTIAL if grade == Grade.POTENTIAL else Grade.INTENT,
            tags=tags, source=Source.REFERRAL,
            contacts=[ContactDraft(name=contact, title="采购经理", mobile=mobile,
                                   email=f"contact{mobile[-4:]}@example.com")]))
        # Closed and churned are earned through the lifecycle, as a rep's edits would.
        for step in LIFECYCLE[LIFECYCLE.index(Grade.INTENT) + 1:]:
            if LIFECYCLE.index(Grade(grade)) < LIFECYCLE.index(step):
                break
            c = await container.customers.update(rep, c.id, CustomerChanges(grade=step),
                                                  c.version)
        await container.customers.followups.add(rep, c.id, NewFollowUp(
            method=FollowUpMethod.PHONE, occurred_at=now - timedelta(days=len(name) % 9 + 1),
            summary=f"电话沟通 {name} 的年度采购计划", next_action="发送报价单",
            next_followup_at=now + timedelta(days=3)))
        await container.customers.tasks.create(rep, NewTask(
            title=f"跟进 {name}", due_at=now + timedelta(days=1), related_id=c.id))
        created.append((c, grade))
    return created


# Where each demo customer's deal stands, by its lifecycle grade.
DEAL_STAGES = {"potential": ("needs_analysis", OpportunityChanges(), None),
               "intent": ("proposal", OpportunityChanges(quote_reference="Q-2026-001"), None),
               "closed": ("won", OpportunityChanges(quote_reference="Q-2026-002",
                                                    contract_reference="HT-2026-002",
                                                    contract_status=ContractStatus.APPROVED),
                          None),
               "churned": ("lost", OpportunityChanges(), "选择了竞争对手的方案")}

DEMO_LEADS: list[dict[str, Any]] = [  # routed by the North rule: region north
    {"name": "周杰", "company": "石家庄恒远机械制造有限公司", "phone": "13611112222",
     "email": "zhoujie@example.com", "industry": "manufacturing", "region": "north",
     "company_size": "medium", "budget": "600000", "message": "想了解二期产线的报价",
     "source": "trade_show", "campaign": "2026 北京工博会"},
    {"name": "吴倩", "company": "保定华信软件有限公司", "phone": "13722223333",
     "email": "wuqian@example.com", "industry": "software", "region": "north",
     "company_size": "small", "message": "请联系我安排演示", "source": "website",
     "campaign": "官网"},
]


async def _seed_sales(container: Container, users: dict[str, User],
                      departments: dict[str, uuid.UUID],
                      customers: list[tuple[Customer, str]]) -> None:
    """Routing rules, a website form, a deal per customer and two fresh leads."""
    actor = system_actor("demo")
    await container.lead_settings.set_routing(actor, RoutingSettings(rules=(
        RoutingRule(id=uuid.uuid4(), name="华东区",
                    department_id=departments["华东销售部"], regions=("east",)),
        RoutingRule(id=uuid.uuid4(), name="华北区",
                    department_id=departments["华北销售部"], regions=("north",),
                    method=Method.LEAST_LOADED),
    ), queue_user_id=users["manager@demo.crm"].id), None)
    await container.lead_settings.create_form(actor, CreateLeadForm(
        name="官网联系我们", site_origin="http://127.0.0.1:8000"))
    pipeline = (await container.opportunities.list_pipelines(actor))[0]
    deals: dict[uuid.UUID, uuid.UUID] = {}
    for customer, grade in customers:
        owner = next(u for u in users.values() if u.id == customer.owner_id)
        rep = Actor(principal_of(owner), ip="127.0.0.1")
        amount = customer.annual_purchase or Decimal("200000")
        deal = await container.opportunities.create(rep, OpenOpportunity(
            customer_id=customer.id, name=f"{customer.name} 年度采购", amount=amount))
        key, changes, lost_reason = DEAL_STAGES[grade]
        await container.opportunities.update(rep, deal.id, UpdateOpportunity(
            changes=changes, stage_id=pipeline.stage_by_key(key).id, lost_reason=lost_reason),
            None)
        deals[customer.id] = deal.id
    for lead in DEMO_LEADS:
        await container.leads.capture(actor, CaptureLead(**lead))
    await _seed_contracts(container, users, customers, deals)


async def _seed_contracts(container: Container, users: dict[str, User],
                          customers: list[tuple[Customer, str]],
                          deals: dict[uuid.UUID, uuid.UUID]) -> None:
    """An intent customer's contract waits in its manager's inbox; a closed customer's went
    through approval and is signed."""
    by_id = {u.id: u for u in users.values()}
    today = container.clock.now().date()
    for customer, grade in customers:
        if grade not in ("intent", "closed"):
            continue
        rep = Actor(principal_of(by_id[customer.owner_id]), ip="127.0.0.1")
        amount = customer.annual_purchase or Decimal("200000")
        k = await container.contracts.create(rep, DraftContract(
            customer_id=customer.id, opportunity_id=deals[customer.id],
            title=f"{customer.name} 年度采购合同", currency="CNY",
            start_date=today + timedelta(days=14), end_date=today + timedelta(days=379),
            payment_terms="30% 预付，70% 验收后 30 天内",
            lines=(LineSpec(product="工业网关 GW-200", quantity=Decimal("10"),
                            unit_price=(amount / 10).quantize(Decimal("0.01"))),)))
        k = await container.contracts.submit(rep, k.id, None)
        if grade != "closed":
            continue
        for step in k.round_steps():
            approver = Actor(principal_of(by_id[step.assignee_id]), ip="127.0.0.1")
            await container.contracts.decide(approver, k.id, step.step, True, "同意")
        await container.contracts.sign(rep, k.id)


def demo_logins() -> list[str]:
    return [f"  {u.role.value:<14} {u.email:<22} password: {DEMO_PASSWORD}" for u in USERS]

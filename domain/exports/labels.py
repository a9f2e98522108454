"""What an export's header row and its coded cells read as, in each language an export is
written in: a spreadsheet is read by people, so a column is 「线索编号」 rather than `number` and a
status 「已转化」 rather than `converted`. Every entry has every language (a unit test holds it)."""

from __future__ import annotations

from enum import StrEnum


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LOCALE = Locale.ZH_CN

# (zh-CN, en) per entry: a pair rather than a dict so that a missing language is a syntax error
# in review, and the unit test checks neither is blank.
Pair = tuple[str, str]

HEADERS: dict[str, dict[str, Pair]] = {
    "customer": {
        "number": ("客户编号", "Customer no."), "name": ("客户名称", "Name"),
        "kind": ("类型", "Type"), "industry": ("行业", "Industry"), "region": ("地区", "Region"),
        "grade": ("客户阶段", "Stage"), "tier": ("客户等级", "Tier"),
        "annual_purchase": ("年采购额", "Annual purchase"), "currency": ("币种", "Currency"),
        "owner": ("负责人", "Owner"), "tags": ("标签", "Tags"),
        "contact": ("联系人", "Contact"), "title": ("职务", "Job title"),
        "mobile": ("手机", "Mobile"), "landline": ("座机", "Landline"),
        "email": ("邮箱", "E-mail"), "id_card_number": ("身份证号", "ID card no."),
        "last_followup_at": ("最近跟进", "Last follow-up"),
        "next_followup_at": ("下次跟进", "Next follow-up"), "created_at": ("创建时间", "Created"),
    },
    "lead": {
        "number": ("线索编号", "Lead no."), "name": ("姓名", "Name"),
        "company": ("公司", "Company"), "title": ("职务", "Job title"),
        "phone": ("电话", "Phone"), "email": ("邮箱", "E-mail"),
        "industry": ("行业", "Industry"), "region": ("地区", "Region"),
        "company_size": ("公司规模", "Company size"), "budget": ("预算", "Budget"),
        "currency": ("币种", "Currency"), "source": ("来源", "Source"),
        "campaign": ("市场活动", "Campaign"), "status": ("状态", "Status"),
        "score": ("评分", "Score"), "grade": ("意向等级", "Grade"), "owner": ("负责人", "Owner"),
        "next_followup_at": ("下次跟进", "Next follow-up"), "created_at": ("创建时间", "Created"),
    },
    "opportunity": {
        "number": ("商机编号", "Opportunity no."), "name": ("商机名称", "Name"),
        "stage": ("阶段", "Stage"), "status": ("状态", "Status"),
        "probability": ("赢率(%)", "Probability (%)"),
        "amount": ("金额", "Amount"), "currency": ("币种", "Currency"),
        "expected_close_date": ("预计成交日期", "Expected close"), "owner": ("负责人", "Owner"),
        "lost_reason": ("输单原因", "Reason lost"), "created_at": ("创建时间", "Created"),
    },
    "contract": {
        "number": ("合同编号", "Contract no."), "title": ("合同名称", "Title"),
        "customer": ("客户", "Customer"), "status": ("状态", "Status"),
        "amount": ("金额", "Amount"), "currency": ("币种", "Currency"),
        "start_date": ("开始日期", "Start date"), "end_date": ("结束日期", "End date"),
        "payment_terms": ("付款条件", "Payment terms"), "owner": ("负责人", "Owner"),
        "signed_at": ("签订时间", "Signed"), "created_at": ("创建时间", "Created"),
    },
}

ENUMS: dict[str, dict[str, Pair]] = {
    "customer_kind": {"company": ("企业", "Company"), "person": ("个人", "Person")},
    "customer_grade": {"potential": ("潜在客户", "Potential"), "intent": ("意向客户", "Intent"),
                       "closed": ("成交客户", "Closed"), "churned": ("流失客户", "Churned")},
    "customer_tier": {"strategic": ("战略客户", "Strategic"), "key": ("重点客户", "Key"),
                      "normal": ("普通客户", "Normal")},
    "size": {"micro": ("微型", "Micro"), "small": ("小型", "Small"), "medium": ("中型", "Medium"),
             "large": ("大型", "Large"), "enterprise": ("集团", "Enterprise")},
    "source": {"website": ("官网", "Website"), "trade_show": ("展会", "Trade show"),
               "phone": ("电话", "Phone"), "referral": ("转介绍", "Referral"),
               "partner": ("合作伙伴", "Partner"), "import": ("导入", "Import"),
               "api": ("接口", "API"), "other": ("其他", "Other")},
    "lead_status": {"new": ("新线索", "New"), "contacted": ("已联系", "Contacted"),
                    "qualified": ("已确认", "Qualified"), "converted": ("已转化", "Converted"),
                    "disqualified": ("已作废", "Disqualified")},
    "lead_grade": {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")},
    "opportunity_status": {"open": ("进行中", "Open"), "won": ("赢单", "Won"),
                           "lost": ("输单", "Lost")},
    "contract_status": {"draft": ("草稿", "Draft"), "in_approval": ("审批中", "In approval"),
                        "approved": ("已批准", "Approved"), "rejected": ("已驳回", "Rejected"),
                        "signed": ("已签订", "Signed"), "active": ("履行中", "Active"),
                        "completed": ("已完成", "Completed"),
                        "terminated": ("已终止", "Terminated"),
                        "expired": ("已到期", "Expired")},
}


def _pick(pair: Pair, locale: Locale) -> str:
    return pair[0] if locale == Locale.ZH_CN else pair[1]


def header(kind: str, column: str, locale: Locale) -> str:
    return _pick(HEADERS[kind][column], locale)


def label(enum: str, value: str | None, locale: Locale) -> str:
    """The label of a coded value; a value the catalogue does not know stays as it is."""
    if value is None:
        return ""
    pair = ENUMS[enum].get(value)
    return _pick(pair, locale) if pair else value

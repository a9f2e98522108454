"""The shipped templates: every kind, channel and language. Seeded into the database by
`crm db upgrade`; admins override them with custom templates (deleting those restores these).

Per kind and language: (title, e-mail body, short text). The title is the subject of the
e-mail and the in-app title; the short text is the in-app body and the SMS.
"""

from __future__ import annotations

from domain.notifications.kinds import KINDS, Channel
from domain.notifications.model import Template

_SIGN_EN = "\n\n— Your CRM"
_SIGN_ZH = "\n\n—— CRM 系统"
_CONTRACT_EN = ("Contract {contract_number} \"{contract_title}\" for {customer_name}, "
                "{amount}, owner {owner_name}.")
_CONTRACT_ZH = "合同 {contract_number}《{contract_title}》，客户 {customer_name}，金额 {amount}，负责人 {owner_name}。"

TEXTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "welcome": {
        "en": ("Welcome to the CRM, {name}",
               "Hello {name},\n\nyour account {email} is ready. Sign in, set up your profile and "
               "start selling." + _SIGN_EN,
               "Welcome {name}: your account {email} is ready."),
        "zh-CN": ("欢迎使用 CRM，{name}",
                  "{name}，您好：\n\n您的账号 {email} 已开通。请登录并完善个人资料，开始工作吧。" + _SIGN_ZH,
                  "欢迎 {name}：您的账号 {email} 已开通。"),
    },
    "customer_assigned": {
        "en": ("Customer {name} was assigned to you",
               "Hello {recipient_name},\n\nthe customer {name} ({number}) is now yours. "
               "Review the record and plan the next follow-up." + _SIGN_EN,
               "{name} ({number}) is now yours."),
        "zh-CN": ("客户 {name} 已分配给您",
                  "{recipient_name}，您好：\n\n客户 {name}（{number}）已分配给您，请查看客户档案并安排下一次跟进。" + _SIGN_ZH,
                  "客户 {name}（{number}）已分配给您。"),
    },
    "lead_assigned": {
        "en": ("New {grade} lead assigned to you: {label}",
               "Hello {recipient_name},\n\nthe lead {label} (grade {grade}) was assigned to you: "
               "{reason}.\nMake first contact within a day." + _SIGN_EN,
               "Lead {label} ({grade}): {reason}. Make first contact within a day."),
        "zh-CN": ("新线索分配给您：{label}（{grade}）",
                  "{recipient_name}，您好：\n\n线索 {label}（等级 {grade}）已分配给您，原因：{reason}。\n请在一天内完成首次联系。" + _SIGN_ZH,
                  "线索 {label}（{grade}）：{reason}。请在一天内首次联系。"),
    },
    "lead_existing_customer": {
        "en": ("Your customer sent a new inquiry: {label}",
               "Hello {recipient_name},\n\nthe new lead {label} matches one of your customers; "
               "it is yours to follow up." + _SIGN_EN,
               "Lead {label} matches your customer; it is yours to follow up."),
        "zh-CN": ("您的客户有新的咨询：{label}",
                  "{recipient_name}，您好：\n\n新线索 {label} 与您负责的客户匹配，请跟进。" + _SIGN_ZH,
                  "线索 {label} 与您的客户匹配，请跟进。"),
    },
    "opportunity_assigned": {
        "en": ("Opportunity {name} was assigned to you",
               "Hello {recipient_name},\n\nthe opportunity {name} ({number}) is now yours." + _SIGN_EN,
               "{name} ({number}) is now yours."),
        "zh-CN": ("商机 {name} 已分配给您",
                  "{recipient_name}，您好：\n\n商机 {name}（{number}）已分配给您。" + _SIGN_ZH,
                  "商机 {name}（{number}）已分配给您。"),
    },
    "followup_overdue": {
        "en": ("No follow-up for {idle_days} days: {label}",
               "Hello {recipient_name},\n\n{record_type} {label} has not been followed up since "
               "{since}; a reminder task is on your list." + _SIGN_EN,
               "{record_type} {label}: no follow-up since {since}."),
        "zh-CN": ("{label} 已 {idle_days} 天未跟进",
                  "{recipient_name}，您好：\n\n{record_type} {label} 自 {since} 起未跟进，已为您创建提醒任务。" + _SIGN_ZH,
                  "{record_type} {label} 自 {since} 起未跟进。"),
    },
    "followup_escalated": {
        "en": ("Your team's {record_type} is idle for {idle_days} days: {label}",
               "Hello {recipient_name},\n\n{record_type} {label} has had no follow-up since "
               "{since} (limit {limit_days} days)." + _SIGN_EN,
               "{record_type} {label}: no follow-up since {since} (limit {limit_days} days)."),
        "zh-CN": ("团队的{record_type} {label} 已 {idle_days} 天未跟进",
                  "{recipient_name}，您好：\n\n{record_type} {label} 自 {since} 起未跟进（上限 {limit_days} 天）。" + _SIGN_ZH,
                  "{record_type} {label} 自 {since} 起未跟进（上限 {limit_days} 天）。"),
    },
    "approval_requested": {
        "en": ("Approval needed: contract {contract_number}",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nIt waits for your decision at "
               "step {step} ({step_name})." + _SIGN_EN,
               "Contract {contract_number} ({amount}) waits for your approval "
               "({step_name})."),
        "zh-CN": ("待您审批：合同 {contract_number}",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n请在第 {step} 步（{step_name}）审批。" + _SIGN_ZH,
                  "合同 {contract_number}（{amount}）待您审批（{step_name}）。"),
    },
    "approval_reminder": {
        "en": ("Reminder: contract {contract_number} waits for you",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nStep {step} ({step_name}) has "
               "been waiting for {waiting_hours} hours." + _SIGN_EN,
               "Contract {contract_number} has waited {waiting_hours} h for your approval."),
        "zh-CN": ("提醒：合同 {contract_number} 等待您审批",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n第 {step} 步（{step_name}）已等待 {waiting_hours} 小时。" + _SIGN_ZH,
                  "合同 {contract_number} 已等待您审批 {waiting_hours} 小时。"),
    },
    "approval_escalated": {
        "en": ("Escalated: contract {contract_number} is stuck at {step_name}",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nStep {step} ({step_name}) has "
               "been waiting for {waiting_hours} hours and is escalated to you." + _SIGN_EN,
               "Contract {contract_number} stuck {waiting_hours} h at {step_name}; escalated."),
        "zh-CN": ("升级：合同 {contract_number} 卡在 {step_name}",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n第 {step} 步（{step_name}）已等待 {waiting_hours} 小时，现升级由您处理。" + _SIGN_ZH,
                  "合同 {contract_number} 在 {step_name} 已等待 {waiting_hours} 小时，已升级。"),
    },
    "contract_approved": {
        "en": ("Contract {contract_number} is approved",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nEvery approval step has agreed; "
               "it can be signed now." + _SIGN_EN,
               "Contract {contract_number} is approved and ready to sign."),
        "zh-CN": ("合同 {contract_number} 已审批通过",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n所有审批步骤均已通过，可以签署。" + _SIGN_ZH,
                  "合同 {contract_number} 已审批通过，可以签署。"),
    },
    "contract_rejected": {
        "en": ("Contract {contract_number} was rejected",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nIt was rejected at step {step} "
               "({step_name}): {comment}\nEdit the draft and submit it again." + _SIGN_EN,
               "Contract {contract_number} rejected at {step_name}: {comment}"),
        "zh-CN": ("合同 {contract_number} 被驳回",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n在第 {step} 步（{step_name}）被驳回：{comment}\n请修改草稿后重新提交。" + _SIGN_ZH,
                  "合同 {contract_number} 在 {step_name} 被驳回：{comment}"),
    },
    "contract_signed": {
        "en": ("Contract {contract_number} was signed",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nIt has been signed; please file "
               "it and check the terms." + _SIGN_EN,
               "Contract {contract_number} ({customer_name}) was signed."),
        "zh-CN": ("合同 {contract_number} 已签署",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n合同已签署，请归档并核对条款。" + _SIGN_ZH,
                  "合同 {contract_number}（{customer_name}）已签署。"),
    },
    "contract_renewal_due": {
        "en": ("Renewal due: contract {contract_number} ends on {end_date}",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nIt ends on {end_date}; a "
               "repurchase reminder task is on your list." + _SIGN_EN,
               "Contract {contract_number} ends {end_date}: time to talk renewal."),
        "zh-CN": ("续约提醒：合同 {contract_number} 将于 {end_date} 到期",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n合同将于 {end_date} 到期，已为您创建复购提醒任务。" + _SIGN_ZH,
                  "合同 {contract_number} 将于 {end_date} 到期，请跟进续约。"),
    },
    "contract_expired": {
        "en": ("Contract {contract_number} has expired",
               "Hello {recipient_name},\n\n" + _CONTRACT_EN + "\nIt expired on {end_date}." + _SIGN_EN,
               "Contract {contract_number} expired on {end_date}."),
        "zh-CN": ("合同 {contract_number} 已到期",
                  "{recipient_name}，您好：\n\n" + _CONTRACT_ZH + "\n合同已于 {end_date} 到期。" + _SIGN_ZH,
                  "合同 {contract_number} 已于 {end_date} 到期。"),
    },
    "webhook_disabled": {
        "en": ("Webhook disabled: {url}",
               "Hello {recipient_name},\n\nthe webhook {url} was disabled after sustained "
               "failures: {reason}\nFix the endpoint and enable it again." + _SIGN_EN,
               "Webhook {url} was disabled: {reason}"),
        "zh-CN": ("Webhook 已停用：{url}",
                  "{recipient_name}，您好：\n\nWebhook {url} 因持续投递失败已被停用：{reason}\n请修复接收端后重新启用。" + _SIGN_ZH,
                  "Webhook {url} 已停用：{reason}"),
    },
}


def default_templates() -> list[Template]:
    out = []
    for kind in KINDS:
        for locale, (title, email_body, short) in TEXTS[kind].items():
            sms = ("【CRM】" + short) if locale == "zh-CN" else ("CRM: " + short)
            out += [Template.default(kind, Channel.IN_APP, locale, title, short),
                    Template.default(kind, Channel.EMAIL, locale, title, email_body),
                    Template.default(kind, Channel.SMS, locale, "", sms)]
    return out

"""Words of the customer package: its validation messages, its refusals, the lines it writes on a
customer's timeline, and the labels of the codes those lines name (grades, follow-up methods,
task statuses). Templates take `{name}` parameters (see domain/shared/catalogue.py)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # ---- the customer's fields --------------------------------------------------------------
    "customer.legal_name_length": {
        "zh-CN": "须填写客户全称，2 到 200 个字符",
        "en": "must be the full legal name, 2 to 200 characters"},
    "customer.company_full_name": {
        "zh-CN": "须填写公司全称（如 …有限公司），不能使用简称",
        "en": "must be the company's full legal name (e.g. …有限公司 or … Ltd), "
              "not an abbreviation"},
    "customer.amount_format": {"zh-CN": "须为金额数字，如 1250000.00",
                               "en": "must be a decimal amount such as 1250000.00"},
    "customer.amount_negative": {"zh-CN": "金额不能为负数", "en": "must be a non-negative amount"},
    "customer.amount_decimals": {"zh-CN": "最多保留两位小数",
                                 "en": "has more than two decimal places"},
    "customer.time_zone_required": {
        "zh-CN": "须带时区，如 2026-11-28T09:00:00+08:00",
        "en": "must carry a time zone, e.g. 2026-11-28T09:00:00+08:00"},
    "customer.not_a_tag": {"zh-CN": "「{tag}」不是有效的标签（1 到 50 个字符，不含逗号）",
                           "en": "'{tag}' is not a tag (1-50 characters, no comma)"},
    "customer.tags_too_many": {"zh-CN": "最多 {max} 个标签", "en": "at most {max} tags"},
    "customer.custom_key": {"zh-CN": "不是有效的自定义字段标识",
                            "en": "is not a custom field key"},
    "customer.custom_list_text": {"zh-CN": "列表中只能是文本选项",
                                  "en": "a list may hold only text choices"},
    "customer.custom_value_kind": {
        "zh-CN": "须为文本、数字、是/否或选项列表",
        "en": "must be text, a number, true/false or a list of choices"},
    "customer.custom_too_long": {"zh-CN": "不能超过 {max} 个字符",
                                 "en": "is longer than {max} characters"},
    "customer.currency_code": {"zh-CN": "须为 ISO 4217 货币代码，如 CNY",
                               "en": "must be an ISO 4217 code such as CNY"},
    "customer.id_card_person_only": {"zh-CN": "只有个人客户才能填写身份证号",
                                     "en": "only a person carries an ID card"},
    "customer.not_editable_here": {"zh-CN": "不能在此修改", "en": "cannot be changed here"},
    "customer.cannot_be_emptied": {"zh-CN": "不能清空", "en": "cannot be emptied"},
    "customer.not_in_picklist": {"zh-CN": "「{value}」不在{list}选项中",
                                 "en": "'{value}' is not in the {list} list"},
    "customer.contacts_too_many": {"zh-CN": "最多 {max} 个联系人", "en": "at most {max} contacts"},
    "customer.one_primary_contact": {"zh-CN": "只能有一位主要联系人",
                                     "en": "only one contact can be the primary contact"},
    # ---- personal data ----------------------------------------------------------------------
    "customer.mobile_not_mainland": {"zh-CN": "不是有效的中国大陆手机号",
                                     "en": "is not a valid mainland mobile number"},
    "customer.mobile_format": {
        "zh-CN": "须为 11 位大陆手机号（13812345678）或国际号码（+447911123456）",
        "en": "must be an 11-digit mainland mobile (13812345678) or E.164 (+447911123456)"},
    "customer.landline_format": {"zh-CN": "须带区号，如 010-12345678",
                                 "en": "must carry an area code, e.g. 010-12345678"},
    "customer.email_invalid": {"zh-CN": "不是有效的电子邮箱地址（{reason}）",
                               "en": "is not a valid e-mail address ({reason})"},
    "customer.id_card_format": {"zh-CN": "须为 18 位：17 位数字加 1 位校验码",
                                "en": "must be 18 characters: 17 digits and a check digit"},
    "customer.id_card_check_digit": {"zh-CN": "校验码不正确", "en": "has a wrong check digit"},
    # ---- grades and the lifecycle -----------------------------------------------------------
    "customer.starting_grade": {
        "zh-CN": "新客户只能从「{first}」或「{second}」开始，不能是「{grade}」",
        "en": "a new customer starts as {first} or {second}, not {grade}"},
    "customer.grade_move": {
        "zh-CN": "客户等级不能从「{from_grade}」变为「{to_grade}」（「{from_grade}」只能变为：{allowed}）",
        "en": "A customer cannot go from {from_grade} to {to_grade} "
              "(from {from_grade} it can go to: {allowed})"},
    "customer.not_deleted": {"zh-CN": "该客户不在回收站中", "en": "The customer is not deleted"},
    "customer.merged_away": {
        "zh-CN": "该客户已合并到另一个客户，历史记录都在那里",
        "en": "The customer was merged into another; its history lives there now"},
    "customer.deleted_restore_first": {"zh-CN": "该客户已在回收站中，请先恢复",
                                       "en": "The customer is deleted; restore it first"},
    # ---- who may do what --------------------------------------------------------------------
    "customer.owner_required_for_integration": {
        "zh-CN": "通过集成创建时必填", "en": "is required when an integration creates"},
    "customer.duplicate_phone_visible": {
        "zh-CN": "{name}（{number}）已使用此电话号码；请合并，或加上 ?allow_duplicate=true 再提交",
        "en": "{name} ({number}) has this phone number already; merge, or send "
              "?allow_duplicate=true"},
    "customer.duplicate_phone_hidden": {
        "zh-CN": "已有客户使用此电话号码（负责人是其他同事）；请联系其负责人或经理，"
                 "或加上 ?allow_duplicate=true 再提交",
        "en": "A customer with this phone number exists (owned by someone else); ask its owner "
              "or a manager, or send ?allow_duplicate=true"},
    "customer.recycle_bin_forbidden": {"zh-CN": "只有经理和管理员可以查看回收站",
                                       "en": "Only managers and admins open the recycle bin"},
    "customer.reassign_forbidden": {"zh-CN": "只有经理和管理员可以变更客户负责人",
                                    "en": "Only managers and admins reassign customers"},
    "customer.delete_forbidden": {"zh-CN": "只有经理和管理员可以删除或恢复客户",
                                  "en": "Only managers and admins delete or restore customers"},
    "customer.no_such_customer": {"zh-CN": "没有这个客户", "en": "no such customer"},
    # ---- merging ------------------------------------------------------------------------------
    "customer.merge_others": {"zh-CN": "请指定要合并的其他客户，每个只能出现一次",
                              "en": "name other customers to merge, each once"},
    "customer.merge_forbidden": {"zh-CN": "只有经理和管理员可以合并他人的客户",
                                 "en": "Only managers and admins merge others' customers"},
    "customer.not_mergeable_field": {"zh-CN": "不能选择", "en": "cannot be chosen"},
    "customer.merge_choice_unknown": {"zh-CN": "须为参与合并的客户之一",
                                      "en": "must name one of the merged customers"},
    # ---- list filters -------------------------------------------------------------------------
    "customer.filter_text_too_long": {
        "zh-CN": "长度为 {length} 个字符，最多允许 {max} 个",
        "en": "is {length} characters long; at most {max} are allowed"},
    "customer.filter_too_many": {"zh-CN": "共 {count} {what}，最多允许 {max} {what}",
                                 "en": "has {count} {what}; at most {max} are allowed"},
    "filter_unit.items": {"zh-CN": "项", "en": "items"},
    "filter_unit.values": {"zh-CN": "个值", "en": "values"},
    "customer.custom_filters_too_many": {
        "zh-CN": "自定义字段筛选条件过多，最多允许 {max} 个",
        "en": "more than {max} custom field filters; at most {max} are allowed"},
    "customer.unknown_fields": {"zh-CN": "未知字段：{fields}", "en": "unknown: {fields}"},
    "customer.filter_names_nested": {"zh-CN": "须为名称列表，不能嵌套",
                                     "en": "must be a list of names, not nested"},
    "customer.filter_values_nested": {"zh-CN": "须为单个值或值的列表，不能嵌套",
                                      "en": "must be a value or a list of values, not nested"},
    "customer.not_a_filter": {"zh-CN": "不是可用的筛选条件", "en": "is not a filter"},
    "customer.filter_invalid": {"zh-CN": "无效（{reason}）", "en": "is not valid ({reason})"},
    # ---- follow-ups and tasks -----------------------------------------------------------------
    "customer.check_in_visit_only": {"zh-CN": "只有拜访才能签到",
                                     "en": "only a visit carries a check-in"},
    "customer.next_followup_before": {"zh-CN": "不能早于本次跟进时间",
                                      "en": "must not be before the follow-up"},
    "customer.related_together": {"zh-CN": "须与 related_type 同时填写",
                                  "en": "goes together with related_type"},
    "customer.related_customers_only": {"zh-CN": "目前只能关联客户",
                                        "en": "only customers so far"},
    "customer.task_reopen_only": {"zh-CN": "「{status}」的任务只能重新打开",
                                  "en": "A {status} task can only be reopened"},
    "customer.followup_edit_forbidden": {
        "zh-CN": "只有跟进记录的填写人或经理可以修改",
        "en": "Only the author or a manager edits a follow-up"},
    # ---- timeline lines -----------------------------------------------------------------------
    "customer.line.created": {"zh-CN": "创建了客户 {number}", "en": "Customer {number} created"},
    "customer.line.owner_changed": {"zh-CN": "变更了负责人", "en": "Owner changed"},
    "customer.line.grade_paid": {"zh-CN": "客户等级「{before}」→「{after}」（合同已回款）",
                                 "en": "Grade {before} → {after} (contract paid)"},
    "customer.line.deleted": {"zh-CN": "客户已移入回收站",
                              "en": "Customer moved to the recycle bin"},
    "customer.line.restored": {"zh-CN": "客户已恢复", "en": "Customer restored"},
    "customer.line.merged": {"zh-CN": "已将 {numbers} 合并到本客户",
                             "en": "Merged {numbers} into this record"},
    "customer.line.followup": {"zh-CN": "{method}：{summary}", "en": "{method}: {summary}"},
    "customer.line.task": {"zh-CN": "任务：{title}", "en": "Task: {title}"},
    "customer.line.task_status": {"zh-CN": "任务{status}：{title}",
                                  "en": "Task {status}: {title}"},
    # ---- labels of the codes the lines and messages name --------------------------------------
    "customer_grade.potential": {"zh-CN": "潜在", "en": "potential"},
    "customer_grade.intent": {"zh-CN": "意向", "en": "intent"},
    "customer_grade.closed": {"zh-CN": "已成交", "en": "closed"},
    "customer_grade.churned": {"zh-CN": "已流失", "en": "churned"},
    "followup_method.phone": {"zh-CN": "电话", "en": "phone"},
    "followup_method.email": {"zh-CN": "邮件", "en": "email"},
    "followup_method.visit": {"zh-CN": "拜访", "en": "visit"},
    "followup_method.online_meeting": {"zh-CN": "线上会议", "en": "online meeting"},
    "task_status.open": {"zh-CN": "重新打开", "en": "open"},
    "task_status.done": {"zh-CN": "已完成", "en": "done"},
    "task_status.cancelled": {"zh-CN": "已取消", "en": "cancelled"},
    "picklist.industry": {"zh-CN": "行业", "en": "industry"},
    "picklist.region": {"zh-CN": "地区", "en": "region"},
}

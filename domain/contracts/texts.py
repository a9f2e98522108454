"""The words of contract texts that are stored or sent as codes (see domain/shared/catalogue):
what a draft, an approval or a policy refuses, the customer's timeline lines, and the labels of
a contract's statuses and approval steps."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # Kept without the package prefix: clients already branch on it (missing_for_submit).
    "required_to_submit": {"zh-CN": "提交审批前必须填写", "en": "is required to submit"},
    # Statuses, as sentences name them (lower case in English: "this contract is signed").
    "contract_status.draft": {"zh-CN": "草稿", "en": "draft"},
    "contract_status.in_approval": {"zh-CN": "审批中", "en": "in approval"},
    "contract_status.approved": {"zh-CN": "已审批通过", "en": "approved"},
    "contract_status.rejected": {"zh-CN": "已驳回", "en": "rejected"},
    "contract_status.signed": {"zh-CN": "已签署", "en": "signed"},
    "contract_status.active": {"zh-CN": "履行中", "en": "active"},
    "contract_status.completed": {"zh-CN": "已完成", "en": "completed"},
    "contract_status.terminated": {"zh-CN": "已终止", "en": "terminated"},
    "contract_status.expired": {"zh-CN": "已到期", "en": "expired"},
    # An approval step, named by its approver's role.
    "approval_step.manager": {"zh-CN": "销售经理", "en": "Sales manager"},
    "approval_step.finance": {"zh-CN": "财务", "en": "Finance"},
    "approval_step.executive": {"zh-CN": "高管", "en": "Executive"},
    # What a contract cannot undergo in a status ("A draft contract cannot be signed").
    "contract_move.signed": {"zh-CN": "签署", "en": "signed"},
    "contract_move.activated": {"zh-CN": "生效", "en": "activated"},
    "contract_move.completed": {"zh-CN": "标记为已完成", "en": "completed"},
    "contract_move.terminated": {"zh-CN": "终止", "en": "terminated"},
    # Drafts and line items.
    "contract.bad_currency": {"zh-CN": "须为 ISO 4217 货币代码，例如 CNY",
                              "en": "must be an ISO 4217 code such as CNY"},
    "contract.total_too_large": {"zh-CN": "合同总额过大", "en": "the total is too large"},
    "contract.end_before_start": {"zh-CN": "不能早于开始日期",
                                  "en": "must not be before start_date"},
    "contract.not_a_decimal": {"zh-CN": "须为数字", "en": "must be a decimal number"},
    "contract.no_lines": {"zh-CN": "合同至少需要一条明细", "en": "a contract has at least one line item"},
    "contract.too_many_lines": {"zh-CN": "合同最多 {max} 条明细",
                                "en": "a contract has at most {max} line items"},
    "contract.quantity_range": {"zh-CN": "须大于 0 且不超过 10 亿",
                                "en": "must be above 0 and at most 1e9"},
    "contract.quantity_places": {"zh-CN": "最多 3 位小数", "en": "has more than three decimal places"},
    "contract.discount_range": {"zh-CN": "折扣须为 0 到 100 之间的百分比",
                                "en": "is a percentage from 0 to 100"},
    "contract.discount_places": {"zh-CN": "最多 2 位小数", "en": "has more than two decimal places"},
    # Where a contract is in its life.
    "contract.only_draft_edited": {"zh-CN": "只有草稿可以修改，该合同当前为“{status}”",
                                   "en": "Only a draft can be edited; this contract is {status}"},
    "contract.only_draft_deleted": {
        "zh-CN": "只有草稿或被驳回的合同可以删除；已签署的合同请改为终止",
        "en": "Only a draft or rejected contract can be deleted; terminate a signed one "
              "instead"},
    "contract.only_draft_submitted": {
        "zh-CN": "只有草稿可以提交审批，该合同当前为“{status}”",
        "en": "Only a draft can be submitted; this contract is {status}"},
    "contract.nothing_to_decide": {"zh-CN": "该合同当前为“{status}”，没有待审批的步骤",
                                   "en": "The contract is {status}; there is nothing to decide"},
    "contract.rejection_reason_needed": {"zh-CN": "驳回合同须填写原因",
                                         "en": "say why the contract is rejected"},
    "contract.cannot_move": {"zh-CN": "“{status}”的合同不能{move}",
                             "en": "A {status} contract cannot be {move}"},
    "contract.payment_before_signing": {
        "zh-CN": "“{status}”的合同不能登记回款，请先签署",
        "en": "A {status} contract cannot take a payment; sign it first"},
    "contract.payment_recorded": {"zh-CN": "该合同的回款已登记",
                                  "en": "The payment of this contract is already recorded"},
    "contract.termination_reason_needed": {"zh-CN": "终止合同须填写原因",
                                           "en": "say why the contract is terminated"},
    # Approval rounds and deciding a step.
    "contract.no_approval_steps": {"zh-CN": "审批规则没有给出任何审批步骤",
                                   "en": "the policy gave no approval steps"},
    "contract.chain_people": {
        "zh-CN": "审批链的每一步须由不同的人审批，且不能是合同负责人",
        "en": "an approval chain needs a different person at each step, none of them the "
              "owner"},
    "contract.no_such_step": {"zh-CN": "该合同的审批没有第 {step} 步",
                              "en": "this contract's approval has no step {step}"},
    "contract.step_decided": {"zh-CN": "第 {step} 步（{name}）已审批过",
                              "en": "Step {step} ({name}) was already decided"},
    "contract.step_not_open": {"zh-CN": "第 {step} 步（{name}）尚未轮到审批",
                               "en": "Step {step} ({name}) is not open yet"},
    "contract.step_not_yours": {"zh-CN": "第 {step} 步（{name}）不归您审批",
                                "en": "Step {step} ({name}) is not yours to decide"},
    "contract.own_contract": {"zh-CN": "不能审批自己负责的合同",
                              "en": "Nobody approves a contract they own"},
    "contract.approved_at_other_step": {"zh-CN": "您已在该合同的另一步审批通过",
                                        "en": "You already approved this contract at another "
                                              "step"},
    "contract.no_approver": {
        "zh-CN": "除负责人和前面的审批人外，没有在职的{role}可以审批该合同",
        "en": "no active {role} other than the owner and the earlier approvers can approve "
              "this contract"},
    "contract.people_decide": {"zh-CN": "审批须由人来完成，集成接口不能审批",
                               "en": "Approvals are decided by people, not integrations"},
    "contract.others_approvals_overseers": {
        "zh-CN": "只有管理员和高管可以查看他人的待审批事项",
        "en": "Only admins and executives see others' approvals"},
    # The approval policy and its working calendar.
    "contract.approver_role": {"zh-CN": "须为在职的{role}（或管理员）",
                               "en": "must be an active {role} user (or an admin)"},
    "contract.hours_not_number": {"zh-CN": "须为小时数", "en": "must be a number of hours"},
    "contract.hours_range": {"zh-CN": "须在 0.01 到 720 小时之间",
                             "en": "must be between 0.01 and 720 hours"},
    "contract.not_a_user_id": {"zh-CN": "须为用户 ID", "en": "must be a user id"},
    "contract.thresholds_map": {"zh-CN": "须为货币代码到金额的对应表",
                                "en": "map currency codes to amounts"},
    "contract.threshold_currency": {"zh-CN": "键须为 ISO 4217 货币代码，例如 CNY",
                                    "en": "must be keyed by an ISO 4217 code such as CNY"},
    "contract.renewal_days_range": {"zh-CN": "须在 1 到 365 天之间",
                                    "en": "must be between 1 and 365 days"},
    "contract.bad_time_of_day": {"zh-CN": "须为一天中的时间，例如 09:00",
                                 "en": "must be a time of day such as 09:00"},
    "contract.not_a_timezone": {"zh-CN": "“{zone}”不是有效的时区",
                                "en": "'{zone}' is not a time zone"},
    "contract.day_ends_before_start": {"zh-CN": "须晚于上班时间",
                                       "en": "must be after the start of the day"},
    "contract.bad_workdays": {"zh-CN": "须列出 ISO 星期几：1（周一）到 7（周日）",
                              "en": "list ISO weekdays 1 (Monday) to 7 (Sunday)"},
    "contract.since_after_until": {"zh-CN": "须早于结束时间", "en": "must be before until"},
    # The renewal to-do the daily sweep gives an owner (written once, in their language).
    "contract.renewal_task_title": {
        "zh-CN": "复购提醒：合同 {number} 将于 {end_date} 到期",
        "en": "Repurchase reminder: contract {number} ends on {end_date}"},
    "contract.renewal_task_notes": {
        "zh-CN": "{title}（{amount}），客户 {customer}：请沟通续约或下一笔订单。",
        "en": "{title} ({amount}) with {customer}: talk about renewal or the next order."},
    # The customer's timeline.
    "timeline.contract.drafted": {"zh-CN": "合同 {number} 已起草：{title}（{amount}）",
                                  "en": "Contract {number} drafted: {title} ({amount})"},
    "timeline.contract.edited": {"zh-CN": "合同 {number} 草稿已修改",
                                 "en": "Contract {number} draft edited"},
    "timeline.contract.submitted": {"zh-CN": "合同 {number} 已提交审批（{chain}）",
                                    "en": "Contract {number} submitted for approval ({chain})"},
    # One step of a chain, then the rest of it: "Sales manager → Finance → Executive".
    "timeline.contract.chain": {"zh-CN": "{step} → {rest}", "en": "{step} → {rest}"},
    "timeline.contract.step_approved": {"zh-CN": "合同 {number}：第 {step} 步审批通过",
                                        "en": "Contract {number}: step {step} approved"},
    "timeline.contract.step_approved_noted": {
        "zh-CN": "合同 {number}：第 {step} 步审批通过（{comment}）",
        "en": "Contract {number}: step {step} approved ({comment})"},
    "timeline.contract.step_rejected": {"zh-CN": "合同 {number}：第 {step} 步被驳回",
                                        "en": "Contract {number}: step {step} rejected"},
    "timeline.contract.step_rejected_noted": {
        "zh-CN": "合同 {number}：第 {step} 步被驳回（{comment}）",
        "en": "Contract {number}: step {step} rejected ({comment})"},
    "timeline.contract.now": {"zh-CN": "合同 {number} 状态变为“{status}”",
                              "en": "Contract {number} {status}"},
    "timeline.contract.activated_on_start": {"zh-CN": "合同 {number}：已到开始日期，自动生效",
                                             "en": "Contract {number}: activated"},
    "timeline.contract.expired": {"zh-CN": "合同 {number}：已到期",
                                  "en": "Contract {number}: expired"},
    "timeline.contract.renewal_due": {"zh-CN": "合同 {number}：即将到期，已提醒续约",
                                      "en": "Contract {number}: renewal due"},
}

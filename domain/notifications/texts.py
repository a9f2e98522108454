"""The words of notifications' own checks (templates, preferences, deliveries) and the labels
the shipped templates show for codes in a notification's variables."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # Templates.
    "notification.unknown_kind": {"zh-CN": "不是可用的通知类型（{kinds}）",
                                  "en": "is not a notification kind ({kinds})"},
    "notification.empty": {"zh-CN": "不能为空", "en": "must not be empty"},
    "notification.subject_one_line": {"zh-CN": "须为一行，最多 {max} 个字符",
                                      "en": "must be one line of at most {max} characters"},
    "notification.body_too_long": {"zh-CN": "{channel}最多 {max} 个字符",
                                   "en": "must be at most {max} characters for {channel}"},
    "notification.unknown_variable": {
        "zh-CN": "未知变量 {variable}；{kind} 可用的变量有 {known}",
        "en": "unknown variable {variable}; {kind} knows {known}"},
    "notification.variable_missing": {"zh-CN": "模板用到了 {variable}，请为它提供值",
                                      "en": "the template uses {variable}; give it a value"},
    "notification.unbalanced_braces": {
        "zh-CN": "花括号不成对（{error}）；要显示花括号本身，请写 {{{{ 或 }}}}",
        "en": "has unbalanced braces ({error}); write {{{{ or }}}} for a literal brace"},
    "notification.placeholder_not_a_name": {
        "zh-CN": "占位符 {placeholder} 不是简单的变量名（只能用字母、数字和下划线，不能含点、方括号或序号）",
        "en": "placeholder {placeholder} is not a plain variable name (letters, digits, _; "
              "no dots, brackets or positions)"},
    "notification.placeholder_with_spec": {
        "zh-CN": "占位符 {placeholder} 不能带转换或格式说明",
        "en": "placeholder {placeholder} may not carry a conversion or format spec"},
    "notification.templates_need_settings_read": {
        "zh-CN": "查看消息模板需要“查看系统设置”权限",
        "en": "Templates need the 'settings:read' permission"},
    "notification.custom_template_exists": {
        "zh-CN": "{kind} 在 {channel} 渠道的 {locale} 自定义模板已存在，请修改该模板",
        "en": "A custom {kind} {channel} template in {locale} exists already; change that one"},
    "notification.shipped_template_fixed": {
        "zh-CN": "系统自带模板不能修改：请为相同的类型、渠道和语言新建自定义模板来替代它",
        "en": "The shipped templates stay as they are: create a custom template for the same "
              "kind, channel and locale to override it"},
    "notification.shipped_template_undeletable": {"zh-CN": "系统自带模板不能删除",
                                                  "en": "The shipped templates cannot be deleted"},
    # Preferences.
    "notification.users_only_preferences": {
        "zh-CN": "只有用户账号有通知设置（API 密钥没有）",
        "en": "Only users have notification preferences"},
    "notification.listed_twice": {"zh-CN": "重复出现", "en": "is listed twice"},
    "notification.in_app_required": {
        "zh-CN": "须包含站内通知：收件箱保留每一条通知，邮件和短信在此之外另选",
        "en": "must include in_app: the inbox keeps every notification; choose e-mail and SMS "
              "on top of it"},
    "notification.sms_needs_mobile": {"zh-CN": "短信需要手机号：请先填写手机号",
                                      "en": "sms needs a mobile number: set mobile"},
    "notification.mobile_needed_for_sms": {"zh-CN": "以下通知开启了短信，须填写手机号：{kinds}",
                                           "en": "is needed while SMS is on for {kinds}"},
    # The inbox and deliveries.
    "notification.users_only": {"zh-CN": "只有用户账号有收件箱（API 密钥没有）",
                                "en": "Only users have an inbox"},
    "notification.unknown_event_id": {"zh-CN": "须为此通知流发出过的 ID",
                                      "en": "must be an id this stream sent"},
    "notification.only_failed_retried": {"zh-CN": "该投递{status}，只有失败的投递可以重试",
                                         "en": "The delivery is {status}; only a failed one is "
                                               "retried"},
    "notification.others_deliveries_admin_only": {
        "zh-CN": "只有管理员可以查看他人的投递记录",
        "en": "Only admins see other people's deliveries"},
    "delivery_status.pending": {"zh-CN": "正在等待发送", "en": "pending"},
    "delivery_status.sent": {"zh-CN": "已发送", "en": "sent"},
    "delivery_status.failed": {"zh-CN": "已失败", "en": "failed"},
    "notification_channel.in_app": {"zh-CN": "站内通知", "en": "in_app"},
    "notification_channel.email": {"zh-CN": "邮件", "en": "email"},
    "notification_channel.sms": {"zh-CN": "短信", "en": "sms"},
    # The approval step a contract notice names (its approver's role).
    "notification_step.manager": {"zh-CN": "销售经理", "en": "Sales manager"},
    "notification_step.finance": {"zh-CN": "财务", "en": "Finance"},
    "notification_step.executive": {"zh-CN": "高管", "en": "Executive"},
    # A lead's grade as an assignment notice names it ("New high lead assigned to you").
    "notification_grade.high": {"zh-CN": "高意向", "en": "high"},
    "notification_grade.medium": {"zh-CN": "中意向", "en": "medium"},
    "notification_grade.low": {"zh-CN": "低意向", "en": "low"},
}

"""The words of webhook endpoints and their deliveries."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "webhook.url_length": {"zh-CN": "须为 http(s) 地址，最多 {max} 个字符",
                           "en": "must be an http(s) URL of at most {max} characters"},
    "webhook.bad_url": {"zh-CN": "不是有效的网址", "en": "is not a valid URL"},
    "webhook.http_only": {"zh-CN": "须使用 http 或 https", "en": "must use http or https"},
    "webhook.no_credentials": {"zh-CN": "不能包含用户名或密码",
                               "en": "must not carry a user name or password"},
    "webhook.host_required": {"zh-CN": "须包含主机名", "en": "must name a host"},
    "webhook.no_fragment": {"zh-CN": "不能包含 # 片段", "en": "must not have a #fragment"},
    "webhook.host_unresolved": {"zh-CN": "无法解析主机 {host}",
                                "en": "the host {host} does not resolve"},
    "webhook.public_only": {
        "zh-CN": "{problem}：除非管理员允许内网地址，Webhook 只能调用公网地址",
        "en": "{problem}: webhooks may only call public addresses unless an admin allows "
              "private ones"},
    "webhook.not_an_ip": {"zh-CN": "不是 IP 地址", "en": "is not an IP address"},
    "webhook.points_at": {"zh-CN": "指向{range}地址（{address}）",
                          "en": "points at a {range} address ({address})"},
    "address_range.loopback": {"zh-CN": "本机回环", "en": "loopback"},
    "address_range.link-local": {"zh-CN": "链路本地", "en": "link-local"},
    "address_range.unspecified": {"zh-CN": "未指定", "en": "unspecified"},
    "address_range.multicast": {"zh-CN": "组播", "en": "multicast"},
    "address_range.reserved": {"zh-CN": "保留", "en": "reserved"},
    "address_range.private": {"zh-CN": "内网", "en": "private"},
    "address_range.non-public": {"zh-CN": "非公网", "en": "non-public"},
    "webhook.event_type_required": {"zh-CN": "至少选择一种事件类型",
                                    "en": "must name at least one event type"},
    "webhook.unknown_event_type": {
        "zh-CN": "{value} 不是可订阅的事件类型（见 GET /api/v1/webhooks/event-types）",
        "en": "{value} is not an event type (see GET /api/v1/webhooks/event-types)"},
    "webhook.private_admin_only": {"zh-CN": "只有管理员可以允许 Webhook 访问内网地址",
                                   "en": "Only an admin may let a webhook reach private addresses"},
    "webhook.private_edit_admin_only": {
        "zh-CN": "只有管理员可以修改可访问内网地址的 Webhook",
        "en": "Only an admin may edit a webhook that may reach private addresses"},
    "webhook.private_delete_admin_only": {
        "zh-CN": "只有管理员可以删除可访问内网地址的 Webhook",
        "en": "Only an admin may delete a webhook that may reach private addresses"},
    "webhook.delivery_not_started": {"zh-CN": "该投递尚在等待首次发送",
                                     "en": "The delivery is already waiting for its first attempt"},
}

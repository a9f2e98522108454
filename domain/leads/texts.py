"""The words of leads: validation messages, timeline lines and the labels they use."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "lead.nothing_to_identify": {
        "zh-CN": "请至少填写姓名、公司、电话或邮箱中的一项",
        "en": "give at least a name, a company, a phone or an e-mail"},
}

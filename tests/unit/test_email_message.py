"""The e-mail as it leaves: UTF-8 text, one-line subject whatever the data held."""

from __future__ import annotations

import email
import email.policy

from adapters.notify.email import build_message


def test_a_subject_built_from_data_stays_one_header_line() -> None:
    msg = build_message("CRM <crm@example.com>", "wang.fang@example.com",
                        "客户 Evil\r\nBcc: victim@example.com 已分配给您", "正文：你好", "d1@crm")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "客户 Evil Bcc: victim@example.com 已分配给您"
    assert parsed["Bcc"] is None
    assert parsed["Message-ID"] == "<d1@crm>"
    assert parsed.get_content().strip() == "正文：你好"

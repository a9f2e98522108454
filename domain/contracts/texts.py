"""The words of contract texts that are stored or sent as codes (see domain/shared/catalogue)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "required_to_submit": {"zh-CN": "提交审批前必须填写", "en": "is required to submit"},
    "timeline.contract.edited": {"zh-CN": "合同 {number} 草稿已修改",
                                 "en": "Contract {number} draft edited"},
}

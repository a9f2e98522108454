"""The words of follow-up discipline: the reminder task it puts on an owner's list."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "discipline.reminder_title": {
        "zh-CN": "跟进提醒：{label} 已 {days} 天未跟进",
        "en": "Follow up: {label} has had no follow-up for {days} days"},
}

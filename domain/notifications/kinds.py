"""Every notification kind, the variables its consumer puts in `Notification.data`, and who
gets which channel unless they chose otherwise."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

# Filled in for every message, whatever its kind.
COMMON_VARIABLES = ("recipient_name",)

_CONTRACT = ("contract_id", "contract_number", "contract_title", "amount", "currency",
             "customer_name", "owner_name")
_STEP = ("step", "step_name")

KIND_VARIABLES: dict[str, tuple[str, ...]] = {
    "welcome": ("user_id", "email", "name"),
    "customer_assigned": ("customer_id", "name", "number"),
    "lead_assigned": ("lead_id", "label", "grade", "reason"),
    "lead_existing_customer": ("lead_id", "label", "customer_id"),
    "opportunity_assigned": ("opportunity_id", "name", "number"),
    "followup_overdue": ("record_type", "record_id", "label", "idle_days", "since"),
    "followup_escalated": ("record_type", "record_id", "label", "idle_days", "since",
                           "limit_days"),
    "approval_requested": _CONTRACT + _STEP,
    "approval_reminder": _CONTRACT + _STEP + ("waiting_hours",),
    "approval_escalated": _CONTRACT + _STEP + ("waiting_hours",),
    "contract_approved": _CONTRACT,
    "contract_rejected": _CONTRACT + _STEP + ("comment",),
    "contract_signed": _CONTRACT,
    "contract_renewal_due": (*_CONTRACT, "end_date"),
    "contract_expired": (*_CONTRACT, "end_date"),
    "webhook_disabled": ("webhook_id", "url", "reason"),
}
KINDS = tuple(KIND_VARIABLES)

# The notices that ask someone to decide an approval step: once the step is decided, by
# whoever, they ask nothing more of anyone and are marked read.
APPROVAL_WAITING_KINDS = ("approval_requested", "approval_reminder", "approval_escalated")

_IN_APP_AND_EMAIL = frozenset({Channel.IN_APP, Channel.EMAIL})
_IN_APP = frozenset({Channel.IN_APP})

# Approvals, assignments and anything that needs acting on come by e-mail too; the daily
# follow-up nag stays in the app. SMS is opt-in (it costs money and needs a number).
DEFAULT_CHANNELS: dict[str, frozenset[Channel]] = {
    kind: _IN_APP if kind in {"followup_overdue"} else _IN_APP_AND_EMAIL
    for kind in KINDS
}


def default_channels(kind: str) -> frozenset[Channel]:
    """A kind this catalogue does not know yet is in-app only until someone adds it."""
    return DEFAULT_CHANNELS.get(kind, _IN_APP)


def variables_of(kind: str) -> tuple[str, ...]:
    return KIND_VARIABLES.get(kind, ()) + COMMON_VARIABLES

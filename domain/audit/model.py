"""The audit trail: who did what, when, from where, with a field-level diff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.shared.authz import Actor

# Fields never written to the audit log in any form.
SECRET_FIELDS = frozenset({"password_hash", "secret_hash", "password", "token_version", "events"})


@dataclass(frozen=True)
class AuditEntry:
    action: str
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str
    target_type: str | None
    target_id: str | None
    diff: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
    request_id: str | None = None
    at: datetime | None = None
    id: int | None = None

    @classmethod
    def of(
        cls, actor: Actor, action: str, target_type: str | None = None,
        target_id: object | None = None, diff: dict[str, Any] | None = None,
    ) -> AuditEntry:
        p = actor.principal
        return cls(
            action=action,
            actor_type=p.kind if p else "anonymous",
            actor_id=p.id if p else None,
            actor_label=actor.label,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            diff=diff or {},
            ip=actor.ip,
            request_id=actor.request_id,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if hasattr(value, "value") and not isinstance(value, (int, str)):
        return value.value
    return value


def field_diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None,
    mask: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """{field: [old, new]} for every field that changed; secrets dropped, personal data masked.

    `mask` maps a field name to a function that masks its value.
    """
    before, after, mask = before or {}, after or {}, mask or {}
    out: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        if name in SECRET_FIELDS or name in {"version", "updated_at", "created_at"}:
            continue
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old == new:
            continue
        if name in mask:
            old = mask[name](old) if old is not None else None
            new = mask[name](new) if new is not None else None
        out[name] = [old, new]
    return out


# The audit log is kept, and retired, by calendar month in UTC.
@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

"""One error taxonomy for the core. Errors carry no HTTP; api/errors.py maps them."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class ValidationFailed(DomainError):
    """Input that breaks an invariant; names the field(s) and the reason."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))

    @classmethod
    def of(cls, field_name: str, message: str) -> ValidationFailed:
        return cls(FieldProblem(field_name, message))


class NotFound(DomainError):
    """The record does not exist, or the caller may not see it (the same answer on purpose)."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} was not found")
        self.kind = kind


class HiddenRecord(NotFound):
    """The record exists but the caller may not see it: answered exactly like NotFound, and
    audited as a permission failure."""


class PermissionDenied(DomainError):
    def __init__(
        self, detail: str = "You do not have permission to do this", *, scope: str = ""
    ) -> None:
        super().__init__(detail)
        self.scope = scope


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a decision already taken)."""

    def __init__(self, detail: str, *, existing_id: object | None = None) -> None:
        super().__init__(detail)
        self.existing_id = existing_id


class StaleVersion(DomainError):
    def __init__(self, kind: str, expected: int, actual: int) -> None:
        super().__init__(f"{kind} has changed since you read it "
                         f"(you sent version {expected}, it is now {actual})")
        self.actual = actual


class InvalidTransition(DomainError):
    pass


class AuthenticationFailed(DomainError):
    def __init__(self, detail: str = "Invalid credentials") -> None:
        super().__init__(detail)


class AccountLocked(DomainError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many failed log-ins; the account is locked for a while")
        self.retry_after_seconds = retry_after_seconds


class RateLimited(DomainError):
    """Too many requests from one caller (or to one public form) in a window."""

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class QueryTimedOut(DomainError):
    """A query ran past the time it is allowed (a count over a filter too costly to answer):
    the database gave up on it rather than keep everyone else waiting."""


def check_version(kind: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(kind, expected, current)

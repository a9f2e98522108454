"""One error taxonomy for the core. Errors carry no HTTP; api/errors.py maps them."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from domain.shared.text import Label, Text, as_text, text


class DomainError(Exception):
    """Base of every error the core raises on purpose. It carries a text code with parameters
    (`DomainError("contract_not_draft", number=...)`); the API writes it in the caller's
    language and sends the code alongside."""

    def __init__(self, message: str | Text, **params: Any) -> None:
        self.text = as_text(message, params)
        super().__init__(self.text.code)

    @property
    def detail(self) -> str:
        """The words in the current language (logs and tests read this)."""
        from domain.shared.catalogue import render
        return render(self.text)

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str | Text
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    @property
    def text(self) -> Text:
        return as_text(self.message, self.params)

    @property
    def code(self) -> str:
        return self.text.code if self.text.code != "literal" else "invalid"


class ValidationFailed(DomainError):
    """Input that breaks an invariant; names the field(s) and the reason."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__(text("validation.fields", problems=[
            text("validation.field", field=p.field, message=p.text) for p in self.problems]))

    @classmethod
    def of(cls, field_name: str, message: str | Text, **params: Any) -> ValidationFailed:
        """`ValidationFailed.of("limit", "between", low=1, high=200)`: a code and its
        parameters, rendered from the catalogue."""
        return cls(FieldProblem(field_name, message, params))


class NotFound(DomainError):
    """The record does not exist, or the caller may not see it (the same answer on purpose)."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(text("not_found", kind=Label("kind", kind.lower()), ident=str(ident)))
        self.kind = kind


class HiddenRecord(NotFound):
    """The record exists but the caller may not see it: answered exactly like NotFound, and
    audited as a permission failure."""


class PermissionDenied(DomainError):
    def __init__(self, message: str | Text = "permission_denied", *, scope: str = "",
                 **params: Any) -> None:
        super().__init__(message, **params)
        self.scope = scope


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a decision already taken)."""

    def __init__(self, message: str | Text, *, existing_id: object | None = None,
                 **params: Any) -> None:
        super().__init__(message, **params)
        self.existing_id = existing_id


class StaleVersion(DomainError):
    def __init__(self, kind: str, expected: int, actual: int) -> None:
        super().__init__("stale_version", kind=Label("kind", kind.lower()), expected=expected,
                         actual=actual)
        self.actual = actual


class InvalidTransition(DomainError):
    pass


class AuthenticationFailed(DomainError):
    def __init__(self, message: str | Text = "invalid_credentials", **params: Any) -> None:
        super().__init__(message, **params)


class AccountLocked(DomainError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("account_locked")
        self.retry_after_seconds = retry_after_seconds


class RateLimited(DomainError):
    """Too many requests from one caller (or to one public form) in a window."""

    def __init__(self, message: str | Text, retry_after_seconds: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after_seconds = retry_after_seconds


class QueryTimedOut(DomainError):
    """A query ran past the time it is allowed (a count over a filter too costly to answer):
    the database gave up on it rather than keep everyone else waiting."""


def check_version(kind: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(kind, expected, current)

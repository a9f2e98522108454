"""What the template and preference use cases are asked to change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.shared.commands import UNSET, Unset


@dataclass(frozen=True)
class CreateTemplate:
    """A custom template overriding the shipped one for its kind, channel and locale."""

    kind: str
    channel: str
    locale: str
    subject: str
    body: str


@dataclass(frozen=True)
class ChangeTemplate:
    subject: str | None = None  # None keeps it
    body: str | None = None  # None keeps it


@dataclass(frozen=True)
class PreviewTemplate:
    # placeholder name → the value shown in its place (any JSON value; rendered as text)
    variables: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class KindChoice:
    kind: str
    channels: Sequence[str]


@dataclass(frozen=True)
class ChangePreferences:
    """Only what is given changes: kinds not listed keep their channels."""

    locale: str | None = None  # None keeps it
    mobile: str | Unset | None = UNSET  # None removes the number
    kinds: Sequence[KindChoice] = ()

"""What the webhook use cases are asked to do: add an endpoint, or change some of its fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.shared.commands import UNSET, Unset


@dataclass(frozen=True)
class CreateWebhook:
    url: str
    event_types: Sequence[str]
    description: str | None = None
    allow_private: bool = False  # may reach loopback and private networks (admins only)


@dataclass(frozen=True)
class UpdateWebhook:
    """Only the fields given change. A null url or event_types is refused as invalid; a null
    description clears it; a null active or allow_private leaves it as it is."""

    url: str | Unset | None = UNSET
    event_types: Sequence[str] | Unset | None = UNSET
    description: str | Unset | None = UNSET
    active: bool | Unset | None = UNSET
    allow_private: bool | Unset | None = UNSET

"""What every feature's commands share: a partial update tells "not given" from None.

A PATCH that omits a field leaves it alone; one that sends `null` clears it. A command field
typed `T | None | Unset = UNSET` keeps the two apart without a dict of whatever was sent.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Final, Literal


class Unset(Enum):
    """The one value meaning "the caller did not send this field"."""

    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def given(command: Any) -> dict[str, Any]:
    """The fields of a command dataclass that the caller sent (every field not UNSET)."""
    return {f.name: getattr(command, f.name) for f in dataclasses.fields(command)
            if getattr(command, f.name) is not UNSET}

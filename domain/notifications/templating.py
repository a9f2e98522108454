"""`{variable}` templates, filled safely.

Only bare names are placeholders: no attribute or index access (`{user.password}`,
`{data[0]}`), no conversions (`{x!r}`) and no format specs (`{x:>99999}`), so neither an
admin's template nor a value in `Notification.data` can reach into objects or blow up memory.
`{{` and `}}` write literal braces.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.shared.text import text

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FORMATTER = string.Formatter()


class TemplateSyntaxError(ValueError):
    """A template that cannot be filled; `text` says why in the reader's language."""

    def __init__(self, code: str, **params: Any) -> None:
        self.text = text(code, **params)
        super().__init__(code)


class MissingVariable(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Parsed:
    parts: tuple[tuple[str, str | None], ...]  # (literal text, variable name or None)

    @property
    def variables(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _, name in self.parts:
            if name is not None:
                seen.setdefault(name, None)
        return tuple(seen)


def parse(text: str) -> Parsed:
    try:
        pieces = list(_FORMATTER.parse(text))
    except ValueError as e:
        raise TemplateSyntaxError("notification.unbalanced_braces", error=str(e)) from None
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            parts.append((literal, None))
            continue
        if not _NAME.match(name):
            raise TemplateSyntaxError("notification.placeholder_not_a_name",
                                      placeholder=f"{{{name}}}")
        if conversion or spec:
            raise TemplateSyntaxError("notification.placeholder_with_spec",
                                      placeholder=f"{{{name}}}")
        parts.append((literal, name))
    return Parsed(tuple(parts))


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Raises MissingVariable naming the first placeholder without a value."""
    out: list[str] = []
    for literal, name in parse(text).parts:
        out.append(literal)
        if name is not None:
            if name not in variables or variables[name] is None:
                raise MissingVariable(name)
            out.append(_text(variables[name]))
    return "".join(out)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)

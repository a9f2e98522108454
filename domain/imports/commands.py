"""What an upload asks of the import: the file, and how its rows are to be taken in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.imports.model import Policy, Target


@dataclass(frozen=True)
class CreateImport:
    filename: str
    content: bytes
    policy: Policy = Policy.SKIP  # what a row that duplicates a customer does
    dry_run: bool = False  # report what would happen, write nothing
    mapping: Mapping[str, str] | None = None  # file column → field; None: guessed from headers
    encoding: str | None = None  # of a CSV; None: detected
    target: Target = Target.CUSTOMERS

"""Bulk import of customers: the import record, column mapping and row conversion."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.shared.catalogue import render
from domain.shared.errors import InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import DEFAULT_LOCALE, Label, Text


class Policy(StrEnum):
    """What to do with a row that duplicates an earlier row or an existing customer."""

    SKIP = "skip"
    UPDATE = "update"  # the file's non-empty values overwrite
    MERGE = "merge"  # only gaps are filled; tags and contacts are added
    CREATE = "create"  # create anyway


class Target(StrEnum):
    CUSTOMERS = "customers"
    LEADS = "leads"  # trade-show lists and the like: each row is captured as a lead


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PREVIEWED = "previewed"  # a dry run finished: nothing was written
    DONE = "done"
    FAILED = "failed"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    MERGED = "merged"
    SKIPPED = "skipped"
    REJECTED = "rejected"


# Field → the header names people use for it (Chinese and English), compared loosely.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "公司名称", "客户全称", "名称", "单位名称", "name", "customer",
             "customer name", "company", "company name"),
    "kind": ("客户类型", "类型", "kind", "type"),
    "contact": ("联系人", "联系人姓名", "姓名", "contact", "contact name"),
    "title": ("职位", "职务", "title", "job title"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "mobile phone",
               "phone"),
    "landline": ("座机", "电话", "固定电话", "办公电话", "landline", "tel", "telephone"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail"),
    "industry": ("所属行业", "行业", "industry"),
    "region": ("所属区域", "区域", "地区", "region", "area"),
    "owner": ("负责销售", "负责人", "销售", "销售负责人", "owner", "sales rep", "account owner"),
    "tags": ("标签", "tags", "tag"),
    "source": ("客户来源", "来源", "source", "lead source"),
    "annual_purchase": ("年采购额", "年采购金额", "年度采购额", "annual purchase",
                        "annual purchase amount"),
    "key_needs": ("关键需求", "需求", "key needs", "needs"),
    "size": ("规模", "企业规模", "size", "company size"),
    "grade": ("客户等级", "阶段", "grade", "lifecycle"),
}
FIELDS = frozenset(HEADERS) | {"ignore"}


def _loose(text: str) -> str:
    return re.sub(r"[\s_\-:：*（）()]", "", text).lower()


def guess_mapping(headers: list[str], custom_labels: dict[str, str]) -> dict[str, str]:
    """header → field (or 'custom.<key>'); headers nobody recognises map to 'ignore'."""
    known = {_loose(s): f for f, names in HEADERS.items() for s in names}
    known.update({_loose(label): f"custom.{key}" for key, label in custom_labels.items()})
    known.update({_loose(key): f"custom.{key}" for key in custom_labels})
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for h in headers:
        target = known.get(_loose(h), "ignore")
        if target != "ignore" and target in taken:
            target = "ignore"  # the first column of a kind wins
        taken.add(target)
        mapping[h] = target
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str], custom_keys: set[str]) -> None:
    for header, target in mapping.items():
        if header not in headers:
            raise ValidationFailed.of(f"mapping.{header}", "import.not_a_column")
        if target not in FIELDS and not (target.startswith("custom.")
                                         and target[7:] in custom_keys):
            raise ValidationFailed.of(f"mapping.{header}", "import.not_a_field", target=target)
    if "name" not in mapping.values():
        raise ValidationFailed.of("mapping", "import.name_unmapped")


_SPLIT_TAGS = re.compile(r"[,，;；、|]")


@dataclass
class RowValues:
    """One file row, mapped: customer fields, the contact, and who should own it."""

    customer: dict[str, Any]
    contact: dict[str, Any] | None
    owner: str | None
    columns: dict[str, str] = field(default_factory=dict)  # field → the file's header

    def column_for(self, problem_field: str) -> str:
        """The header a validation problem belongs to (customer fields and contacts.0.x)."""
        name = problem_field.split(".")[-1] if problem_field.startswith("contacts.") \
            else problem_field
        if name == "name" and problem_field.startswith("contacts."):
            name = "contact"
        return self.columns.get(name, self.columns.get(problem_field, problem_field))


def map_row(values: dict[str, str], mapping: dict[str, str],
            picklists: dict[str, dict[str, str]]) -> RowValues:
    """Raises ValidationFailed naming the file's column (by header)."""
    customer: dict[str, Any] = {"kind": "company"}
    contact: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    owner = None
    column_of: dict[str, str] = {}
    for header, target in mapping.items():
        raw = (values.get(header) or "").strip()
        if target == "ignore" or raw == "":
            continue
        column_of[target] = header
        if target.startswith("custom."):
            custom[target[7:]] = raw
        elif target in ("contact", "title", "mobile", "landline", "email"):
            contact["name" if target == "contact" else target] = raw
        elif target == "owner":
            owner = raw
        elif target == "tags":
            customer["tags"] = [t.strip() for t in _SPLIT_TAGS.split(raw) if t.strip()]
        elif target == "kind":
            kinds = {"公司": "company", "企业": "company", "个人": "person", "company": "company",
                     "person": "person"}
            if raw.lower() not in kinds:
                raise ValidationFailed.of(header, "import.kind_value")
            customer["kind"] = kinds[raw.lower()]
        elif target in ("industry", "region"):
            labels = picklists.get(target, {})
            value = labels.get(raw) or labels.get(raw.lower()) or labels.get(_loose(raw))
            if value is None:
                raise ValidationFailed.of(header, "customer.not_in_picklist", value=raw,
                                          list=Label("picklist", target))
            customer[target] = value
        elif target == "annual_purchase":
            customer[target] = re.sub(r"[,，¥￥\s]|元$", "", raw)
        else:
            customer[target] = raw
    if custom:
        customer["custom"] = custom
    if contact and "name" not in contact:
        contact["name"] = contact.get("email") or contact.get("mobile") or "联系人"
    return RowValues(customer, contact or None, owner, column_of)


class EventType:
    # A file is to be read: just uploaded, or started for real after its dry run.
    QUEUED = "import.queued"


@dataclass
class Import:
    id: uuid.UUID
    created_by: uuid.UUID
    filename: str
    format: str
    sha256: str
    policy: Policy = Policy.SKIP
    dry_run: bool = False
    target: Target = Target.CUSTOMERS
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    status: ImportStatus = ImportStatus.PENDING
    error: str | None = None
    # The language of whoever started the import: the job writes its row reasons and its
    # failure in it, since that person reads them.
    locale: str = DEFAULT_LOCALE
    rows_total: int = 0
    next_row: int = 0
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    skipped: int = 0
    rejected: int = 0
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    def queue(self) -> None:
        """Asks for the file to be read; the reaction to the event starts the job."""
        self.events.append(DomainEvent(EventType.QUEUED, "import", str(self.id), {
            "import_id": str(self.id), "version": self.version, "dry_run": self.dry_run}))

    def count(self, outcome: Outcome) -> None:
        self.rows_read += 1
        attr = {Outcome.CREATED: "created", Outcome.UPDATED: "updated",
                Outcome.MERGED: "merged", Outcome.SKIPPED: "skipped",
                Outcome.REJECTED: "rejected"}[outcome]
        setattr(self, attr, getattr(self, attr) + 1)

    def finish(self, now: datetime) -> None:
        self.status = ImportStatus.PREVIEWED if self.dry_run else ImportStatus.DONE
        self.finished_at = now

    def fail(self, reason: Text, now: datetime) -> None:
        self.status = ImportStatus.FAILED
        self.error = render(reason, self.locale)[:500]
        self.finished_at = now

    def start_for_real(self) -> None:
        """After a dry run looked right: run the same file, this time writing."""
        if self.status != ImportStatus.PREVIEWED:
            raise InvalidTransition("import.only_previewed_starts")
        self.dry_run = False
        self.status = ImportStatus.PENDING
        self.next_row = self.rows_read = 0
        self.created = self.updated = self.merged = self.skipped = self.rejected = 0
        self.finished_at = None
        self.version += 1
        self.queue()

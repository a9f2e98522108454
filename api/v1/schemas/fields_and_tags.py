"""The request and response shapes of custom fields, tags and bulk tagging, segments, and
duplicates and their merging."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas import KEY, NOT_BLANK, TAG, Bool, DateTime, Input, sent
from api.v1.schemas.customers import CustomerOut
from domain.exports.sources import FILTERS
from domain.fields_and_tags.commands import FieldChanges, NewSegment, SegmentChanges, TagChanges
from domain.fields_and_tags.model import (
    CustomField,
    FieldType,
    Segment,
    SegmentSharing,
    Tag,
    TagCategory,
)
from domain.fields_and_tags.views import COLUMN_PATTERN, MAX_COLUMNS

FILTER_DOC = (
    "The customer filter language: industry, region, grade, tier, kind, owner_id, "
    "department_id, tags_all, tags_any, last_followup_before/after, created_from/to, "
    "annual_purchase_min/max, no_followup_days, custom {key: value}, q")
# The filter language's words: any other key is refused, so the schema names them.
FILTER_KEYS = (
    "industry", "region", "kind", "q", "last_followup_before", "last_followup_after",
    "created_from", "created_to", "grade", "tier", "owner_id", "department_id", "tags_all",
    "tags_any", "annual_purchase_min", "annual_purchase_max", "no_followup_days", "custom")
FILTER_SCHEMA: dict[str, Any] = {"propertyNames": {"enum": list(FILTER_KEYS)}}
# A saved view's filter is its list's: the customer language above, or the keys of the lead,
# opportunity or contract list's filters (each refused with its name when not its list's).
VIEW_FILTER_KEYS = sorted(set(FILTER_KEYS).union(*(spec.keys for spec in FILTERS.values())))
VIEW_FILTER_SCHEMA: dict[str, Any] = {"propertyNames": {"enum": VIEW_FILTER_KEYS}}
VIEW_FILTER_DOC = (f"The filters of the list the view belongs to. Customers: {FILTER_DOC}. "
                   + "; ".join(f"{kind.value}: {', '.join(sorted(spec.keys))}"
                               for kind, spec in FILTERS.items()))
VIEW_OBJECTS = "^(customer|lead|opportunity|contract)$"
ColumnName = Annotated[str, Field(max_length=128, pattern=COLUMN_PATTERN)]
COLUMNS_DOC = ("The columns shown, in order: field names of the list's items (cf.<key> for a "
               "custom field)")
FILTER_EXAMPLE = {"industry": "manufacturing", "annual_purchase_min": "1000000",
                  "no_followup_days": 90}

COLOUR = r"^#[0-9a-fA-F]{6}$"
TagName = Annotated[str, Field(max_length=50, pattern=TAG)]


class CustomFieldCreate(Input):
    key: str = Field(max_length=50, pattern=KEY, examples=["erp_code"])
    label: str = Field(max_length=100, pattern=NOT_BLANK, examples=["ERP 编码"])
    type: FieldType
    options: list[str] = Field(default_factory=list, max_length=100)
    required: Bool = False
    entity: str = Field("customer", pattern="^customer$")


class CustomFieldUpdate(Input):
    label: str | None = Field(None, max_length=100, pattern=NOT_BLANK)
    options: list[str] | None = Field(None, max_length=100)
    required: Bool | None = None
    active: Bool | None = None

    def command(self) -> FieldChanges:
        return FieldChanges(label=self.label, options=self.options, required=self.required,
                            active=self.active)


class CustomFieldOut(BaseModel):
    id: uuid.UUID
    entity: str
    key: str
    label: str
    type: FieldType
    options: list[str]
    required: Bool
    active: Bool
    version: int

    @classmethod
    def of(cls, f: CustomField) -> CustomFieldOut:
        return cls(id=f.id, entity=f.entity, key=f.key, label=f.label, type=f.type,
                   options=f.options, required=f.required, active=f.active, version=f.version)


class TagCreate(Input):
    name: str = Field(max_length=50, pattern=TAG, examples=["重点客户"])
    category: TagCategory = TagCategory.CUSTOM
    colour: str | None = Field(None, pattern=COLOUR, examples=["#fa541c"])


class TagUpdate(Input):
    name: str | None = Field(None, max_length=50, pattern=TAG)
    category: TagCategory | None = None
    colour: str | None = Field(None, pattern=COLOUR)

    def command(self) -> TagChanges:
        return TagChanges(name=self.name, category=self.category, colour=self.colour)


class TagOut(BaseModel):
    id: uuid.UUID
    name: str
    category: TagCategory
    colour: str

    @classmethod
    def of(cls, t: Tag) -> TagOut:
        return cls(id=t.id, name=t.name, category=t.category, colour=t.colour)


class Retag(Input):
    filter: dict[str, Any] = Field(description=FILTER_DOC, examples=[FILTER_EXAMPLE],
                                   json_schema_extra=FILTER_SCHEMA)
    add: list[TagName] = Field(default_factory=list, max_length=20)
    remove: list[TagName] = Field(default_factory=list, max_length=20)


class Retagged(BaseModel):
    customers: int = Field(description="How many customers changed")


class SegmentCreate(Input):
    name: str = Field(max_length=100, pattern=NOT_BLANK, examples=["制造业大客户 3 个月未跟进"])
    object: str = Field("customer", pattern=VIEW_OBJECTS,
                        description="The list this is a saved view of")
    filter: dict[str, Any] = Field(description=VIEW_FILTER_DOC, examples=[FILTER_EXAMPLE],
                                   json_schema_extra=VIEW_FILTER_SCHEMA)
    sort: str | None = Field(None, max_length=40, examples=["-next_followup_at"],
                             description="One of the list's sorts (its `sort` parameter)")
    columns: list[ColumnName] = Field(
        default_factory=list, max_length=MAX_COLUMNS, description=COLUMNS_DOC,
        json_schema_extra={"uniqueItems": True},
        examples=[["number", "name", "owner_id", "next_followup_at"]])
    sharing: SegmentSharing = SegmentSharing.PRIVATE
    department_id: uuid.UUID | None = None

    def command(self) -> NewSegment:
        return NewSegment(name=self.name, filter=self.filter, sharing=self.sharing,
                          department_id=self.department_id, object=self.object,
                          sort=self.sort, columns=self.columns)


class SegmentUpdate(Input):
    name: str | None = Field(None, max_length=100, pattern=NOT_BLANK)
    filter: dict[str, Any] | None = Field(None, description=VIEW_FILTER_DOC,
                                          json_schema_extra=VIEW_FILTER_SCHEMA)
    sort: str | None = Field(None, max_length=40, description="null: the list's default")
    columns: list[ColumnName] | None = Field(
        None, max_length=MAX_COLUMNS, description=COLUMNS_DOC,
        json_schema_extra={"uniqueItems": True})
    sharing: SegmentSharing | None = None
    department_id: uuid.UUID | None = None

    def command(self) -> SegmentChanges:
        return SegmentChanges(name=self.name, filter=self.filter, sharing=self.sharing,
                              department_id=sent(self, "department_id"),
                              sort=sent(self, "sort"), columns=self.columns)


class SegmentOut(BaseModel):
    id: uuid.UUID
    name: str
    object: str = Field(description="The list this is a saved view of")
    filter: dict[str, Any]
    sort: str | None
    columns: list[str]
    owner_id: uuid.UUID
    sharing: SegmentSharing
    department_id: uuid.UUID | None
    version: int
    created_at: DateTime | None

    @classmethod
    def of(cls, s: Segment) -> SegmentOut:
        return cls(id=s.id, name=s.name, object=s.object, filter=s.filter, sort=s.sort,
                   columns=s.columns, owner_id=s.owner_id, sharing=s.sharing,
                   department_id=s.department_id, version=s.version, created_at=s.created_at)


class SegmentCount(BaseModel):
    count: int


class DuplicateOut(BaseModel):
    customer: CustomerOut
    reasons: list[str] = Field(examples=[["same phone"]])
    score: float = Field(ge=0, le=1)


class MergeRequest(Input):
    from_: list[uuid.UUID] = Field(alias="from", min_length=1, max_length=10,
                                   description="The duplicates to fold into this customer")
    field_choices: dict[str, uuid.UUID] = Field(
        default_factory=dict, description="field → the id of the record whose value wins")

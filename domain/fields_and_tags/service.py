"""Custom fields, the tag catalogue and bulk tagging, saved segments."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from domain.audit.model import AuditEntry, field_diff
from domain.customers.model import Customer, updated_event
from domain.customers.queries import (
    CustomerFilter,
    check_custom_keys,
    filter_from_dict,
    resolve,
)
from domain.exports.sources import READ_SCOPE, ExportObject
from domain.fields_and_tags.commands import (
    FieldChanges,
    NewSegment,
    SegmentChanges,
    TagChanges,
)
from domain.fields_and_tags.model import (
    CustomField,
    FieldType,
    ListSettings,
    Segment,
    SegmentSharing,
    Tag,
    TagCategory,
    check_tag_name,
)
from domain.fields_and_tags.ports import Customers
from domain.fields_and_tags.views import SORTS, check_columns, check_filter, check_sort
from domain.shared.authz import Actor, Principal, Role, Scope, acting_user, require
from domain.shared.commands import UNSET, Unset
from domain.shared.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    check_version,
)
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.visibility import found_or_404


@dataclass
class CatalogService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: Customers

    # ---- custom fields ----------------------------------------------------------------------

    async def custom_fields(self, actor: Actor, entity: str = "customer"
                            ) -> builtins.list[CustomField]:
        require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            return list(await uow.custom_fields.list(entity))

    async def define_field(self, actor: Actor, *, key: str, label: str, type: FieldType | str,
                           options: Sequence[str] = (), required: bool = False,
                           entity: str = "customer") -> CustomField:
        """A new field on every customer (admins); `type` is a FieldType or its value."""
        require(actor, Scope.SETTINGS_WRITE)
        f = CustomField.define(entity=entity, key=key, label=label, type=FieldType(type),
                               options=list(options), required=required)
        async with self.uow() as uow:
            if any(x.key == f.key for x in await uow.custom_fields.list(f.entity)):
                raise Conflict("custom_field.key_taken", key=f.key)
            await uow.custom_fields.add(f)
            await uow.audit.record(AuditEntry.of(actor, "custom_field.created", "custom_field",
                                                 f.id, {"key": [None, f.key],
                                                        "type": [None, f.type.value]}))
            await uow.commit()
            return f

    async def change_field(self, actor: Actor, field_id: uuid.UUID, changes: FieldChanges,
                           expected_version: int | None) -> CustomField:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            f = await found_or_404(uow.custom_fields.get(field_id), "custom field", field_id)
            check_version("custom field", f.version, expected_version)
            before = {"label": f.label, "options": f.options, "required": f.required,
                      "active": f.active}
            if changes.label is not None:
                f.relabel(changes.label)
            if changes.options is not None:
                f.set_options(list(changes.options))
            if changes.required is not None:
                f.required = changes.required
            if changes.active is not None:
                f.active = changes.active
            f.version += 1
            await uow.custom_fields.save(f)
            await uow.audit.record(AuditEntry.of(actor, "custom_field.updated", "custom_field",
                                                 f.id, field_diff(before, {
                                                     "label": f.label, "options": f.options,
                                                     "required": f.required,
                                                     "active": f.active})))
            await uow.commit()
            return f

    # ---- tags -------------------------------------------------------------------------------

    async def tags(self, actor: Actor) -> builtins.list[Tag]:
        require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            return list(await uow.tags.list())

    async def create_tag(self, actor: Actor, name: str, category: TagCategory,
                         colour: str | None) -> Tag:
        require(actor, Scope.CUSTOMERS_WRITE)
        tag = Tag.create(name, category, colour)
        async with self.uow() as uow:
            if any(t.name == tag.name for t in await uow.tags.list()):
                raise Conflict("tag.name_taken", name=tag.name)
            await uow.tags.add(tag)
            await uow.audit.record(AuditEntry.of(actor, "tag.created", "tag", tag.id,
                                                 {"name": [None, tag.name]}))
            await uow.commit()
            return tag

    async def change_tag(self, actor: Actor, tag_id: uuid.UUID, changes: TagChanges) -> Tag:
        """Renaming or recategorising reaches every customer: admins only."""
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            tag = await found_or_404(uow.tags.get(tag_id), "tag", tag_id)
            old = Tag(**vars(tag))
            if changes.name is not None:
                tag.name = check_tag_name(changes.name)
                if tag.name != old.name and any(
                    t.name == tag.name for t in await uow.tags.list()
                ):
                    raise Conflict("tag.name_taken", name=tag.name)
            if changes.category is not None:
                tag.category = TagCategory(changes.category)
            if changes.colour is not None:
                tag.recolour(changes.colour)
            tag.version += 1
            renamed = await uow.tags.save(tag, old.name)
            await uow.outbox.add_all([updated_event(i, ["tags"]) for i in renamed])
            await uow.audit.record(AuditEntry.of(actor, "tag.updated", "tag", tag.id, field_diff(
                {"name": old.name, "category": old.category, "colour": old.colour},
                {"name": tag.name, "category": tag.category, "colour": tag.colour})))
            await uow.commit()
            return tag

    async def delete_tag(self, actor: Actor, tag_id: uuid.UUID) -> int:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            tag = await found_or_404(uow.tags.get(tag_id), "tag", tag_id)
            untagged = await uow.tags.delete(tag)
            await uow.outbox.add_all([updated_event(i, ["tags"]) for i in untagged])
            await uow.audit.record(AuditEntry.of(actor, "tag.deleted", "tag", tag.id,
                                                 {"name": [tag.name, None],
                                                  "customers": [len(untagged), None]}))
            await uow.commit()
            return len(untagged)

    async def retag(self, actor: Actor, flt: CustomerFilter, add: Sequence[str],
                    remove: Sequence[str]) -> int:
        """Bulk tag/untag every customer the filter finds and the caller may edit."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        adding = [check_tag_name(n) for n in add]
        removing = [check_tag_name(n) for n in remove]
        async with self.uow() as uow:
            await _check_fields(uow, flt)
            vis = await self.customers.visibility(uow, p)
            retagged = await uow.customers.retag(resolve(flt, self.clock.now()), vis, adding,
                                                 removing)
            changed = len(retagged)
            await uow.outbox.add_all([updated_event(i, ["tags"]) for i in retagged])
            await uow.tags.ensure(adding)
            await uow.audit.record(AuditEntry.of(actor, "customers.retagged", "customer", None, {
                "add": [None, adding], "remove": [None, removing],
                "customers": [None, changed]}))
            await uow.commit()
            return changed

    # ---- segments ---------------------------------------------------------------------------

    async def _departments_of(self, uow: UnitOfWork, p: Principal) -> builtins.list[uuid.UUID]:
        """A segment shared with a department is seen by its members and those below it."""
        if p.department_id is None:
            return []
        return list(await uow.departments.ancestors(p.department_id))

    async def _segment(self, uow: UnitOfWork, p: Principal, segment_id: uuid.UUID,
                       write: bool = False) -> Segment:
        seg = await found_or_404(uow.segments.get(segment_id), "segment", segment_id)
        mine = seg.owner_id == p.id or p.role == Role.ADMIN
        shared = (seg.sharing == SegmentSharing.DEPARTMENT
                  and seg.department_id in await self._departments_of(uow, p))
        if not (mine or shared):
            raise NotFound("segment", segment_id)
        if write and not mine:
            raise PermissionDenied("segment.owner_only")
        return seg

    async def _check_sharing(self, uow: UnitOfWork, p: Principal, seg: Segment) -> None:
        if seg.department_id is None:
            return
        if await uow.departments.get(seg.department_id) is None:
            raise ValidationFailed.of("department_id", "segment.no_such_department")
        if p.role != Role.ADMIN and seg.department_id not in await self._departments_of(uow, p):
            raise PermissionDenied("segment.own_departments_only")

    async def create_segment(self, actor: Actor, command: NewSegment) -> Segment:
        """A saved view of a list: its filters, sort and columns, private or shared."""
        kind = _kind(command.object)
        p = require(actor, READ_SCOPE[kind])
        if p.user_id is None:
            raise PermissionDenied("segment.users_only")
        flt = check_filter(kind, command.filter)  # refuse a filter that would not run
        seg = Segment.create(name=command.name, filter=dict(command.filter), owner_id=p.user_id,
                             sharing=SegmentSharing(command.sharing),
                             department_id=command.department_id, object=kind.value,
                             sort=check_sort(kind, command.sort),
                             columns=check_columns(command.columns))
        async with self.uow() as uow:
            if flt is not None:
                await _check_fields(uow, flt)
            await self._check_sharing(uow, p, seg)
            await uow.segments.add(seg)
            await uow.audit.record(AuditEntry.of(actor, "segment.created", "segment", seg.id,
                                                 {"name": [None, seg.name],
                                                  "object": [None, seg.object]}))
            await uow.commit()
            return seg

    async def get_segment(self, actor: Actor, segment_id: uuid.UUID) -> Segment:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            return await self._segment(uow, p, segment_id)

    async def list_segments(self, actor: Actor, page: PageRequest,
                            object: str | None = None) -> Page[Segment]:
        """Views of every list, or of one (`object`)."""
        p = require(actor, READ_SCOPE[_kind(object)] if object else Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            return await uow.segments.list_for(p.id, await self._departments_of(uow, p), page,
                                               object)

    async def update_segment(self, actor: Actor, segment_id: uuid.UUID,
                             changes: SegmentChanges, expected_version: int | None) -> Segment:
        """Only its owner changes a segment."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            seg = await self._segment(uow, p, segment_id, write=True)
            check_version("segment", seg.version, expected_version)
            kind = _kind(seg.object)
            before = {"name": seg.name, "filter": seg.filter, "sharing": seg.sharing,
                      "sort": seg.sort, "columns": seg.columns}
            if changes.name is not None:
                seg.rename(changes.name)
            if changes.filter is not None:
                flt = check_filter(kind, changes.filter)
                if flt is not None:
                    await _check_fields(uow, flt)
                seg.filter = dict(changes.filter)
            if not isinstance(changes.sort, Unset):
                seg.sort = check_sort(kind, changes.sort)
            if changes.columns is not None:
                seg.columns = check_columns(changes.columns)
            if changes.sharing is not None:
                department_id = changes.department_id
                seg.share(SegmentSharing(changes.sharing),
                          seg.department_id if department_id is UNSET else department_id)
                await self._check_sharing(uow, p, seg)
            seg.version += 1
            await uow.segments.save(seg)
            await uow.audit.record(AuditEntry.of(actor, "segment.updated", "segment", seg.id,
                                                 field_diff(before, {
                                                     "name": seg.name, "filter": seg.filter,
                                                     "sharing": seg.sharing, "sort": seg.sort,
                                                     "columns": seg.columns})))
            await uow.commit()
            return seg

    async def delete_segment(self, actor: Actor, segment_id: uuid.UUID) -> None:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            seg = await self._segment(uow, p, segment_id, write=True)
            await uow.segments.delete(seg.id)
            await uow.audit.record(AuditEntry.of(actor, "segment.deleted", "segment", seg.id))
            await uow.commit()

    async def segment_filter(self, actor: Actor, segment_id: uuid.UUID) -> CustomerFilter:
        return filter_from_dict(_of_customers(await self.get_segment(actor, segment_id)).filter)

    async def segment_count(self, actor: Actor, segment_id: uuid.UUID) -> int:
        """Live: counted now, within what the caller may see."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            seg = _of_customers(await self._segment(uow, p, segment_id))
            vis = await self.customers.visibility(uow, p)
            return await uow.customers.count(resolve(filter_from_dict(seg.filter),
                                                     self.clock.now()), vis)

    async def segment_members(self, actor: Actor, segment_id: uuid.UUID, page: PageRequest
                              ) -> Page[Customer]:
        flt = await self.segment_filter(actor, segment_id)
        return await self.customers.list(actor, flt, page)

    # ---- each user's default columns and sort per list ------------------------------------

    async def list_settings(self, actor: Actor, object: str) -> ListSettings:
        """The caller's saved columns and sort for a list, or the empty default (version 0)."""
        kind = _kind(object)
        user_id = acting_user(actor, "List settings belong to users")
        require(actor, READ_SCOPE[kind])
        async with self.uow() as uow:
            saved = await uow.list_settings.get(user_id, kind.value)
        return saved or ListSettings(user_id=user_id, object=kind.value)

    async def save_list_settings(self, actor: Actor, object: str, columns: Sequence[str],
                                 sort: str | None, expected_version: int | None
                                 ) -> ListSettings:
        kind = _kind(object)
        user_id = acting_user(actor, "List settings belong to users")
        require(actor, READ_SCOPE[kind])
        async with self.uow() as uow:
            settings = (await uow.list_settings.get(user_id, kind.value)
                        or ListSettings(user_id=user_id, object=kind.value))
            check_version("list settings", settings.version, expected_version)
            before = {"columns": settings.columns, "sort": settings.sort}
            settings.columns = check_columns(columns)
            settings.sort = check_sort(kind, sort)
            await uow.list_settings.save(settings)
            settings.version += 1
            await uow.audit.record(AuditEntry.of(
                actor, "list_settings.updated", "list_settings", None,
                {"object": [None, kind.value], **field_diff(before, {
                    "columns": settings.columns, "sort": settings.sort})}))
            await uow.commit()
            return settings


def _kind(name: str | None) -> ExportObject:
    try:
        return ExportObject(name or ExportObject.CUSTOMER.value)
    except ValueError:
        raise ValidationFailed.of("object", f"must be one of "
                                  f"{', '.join(k.value for k in SORTS)}") from None


def _of_customers(seg: Segment) -> Segment:
    """Members, counts and exports by segment are the customer list's: a view of another list
    is opened by its filters on that list."""
    if seg.object != ExportObject.CUSTOMER.value:
        raise InvalidTransition(f"This is a view of the {seg.object} list, not a customer "
                                "segment; list its records with its filters instead")
    return seg


async def _check_fields(uow: UnitOfWork, flt: CustomerFilter) -> None:
    """A filter's custom conditions name fields the catalogue defines."""
    if flt.custom:
        check_custom_keys(flt.custom, [f.key for f in await uow.custom_fields.list("customer")])

"""A customer's contacts one at a time: add, change, remove. Each answers the customer (with its
new version and ETag), since a contact is part of the customer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import Field

from api.deps import Ctx, CurrentActor, IfMatch, versioned
from api.schemas import AUTHED, NOT_BLANK, Bool, Input, problems
from api.v1.schemas.customers import ContactIn, CustomerOut
from domain.customers.contact_service import CONTACT_FIELDS
from domain.shared.errors import ValidationFailed

router = APIRouter(prefix="/customers/{customer_id}/contacts", tags=["customers"])


class ContactChange(Input):
    """The fields to change; a field left out keeps its value (phones need not be revealed to
    change a title), null empties it."""

    name: str | None = Field(None, max_length=100, pattern=NOT_BLANK, examples=["张三"])
    title: str | None = Field(None, max_length=100, examples=["采购总监"])
    mobile: str | None = Field(None, max_length=40, examples=["13812345678"])
    landline: str | None = Field(None, max_length=40, examples=["021-12345678"])
    email: str | None = Field(None, max_length=254, examples=["zhang.san@example.com"])
    is_primary: Bool | None = None

    def changes(self) -> dict[str, object]:
        if "name" in self.model_fields_set and self.name is None:
            raise ValidationFailed.of("name", "required")
        return {name: getattr(self, name) for name in CONTACT_FIELDS
                if name in self.model_fields_set
                and not (name == "is_primary" and self.is_primary is None)}


@router.post("", response_model=CustomerOut, status_code=201,
             summary="Add a contact to a customer", responses=problems(*AUTHED, 404, 412))
async def add_contact(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID, body: ContactIn,
                      expected: IfMatch, response: Response) -> CustomerOut:
    customer, _ = await ctx.customers.contacts.add(actor, customer_id, body.draft(), expected)
    return versioned(response, customer, CustomerOut.of)


@router.patch("/{contact_id}", response_model=CustomerOut,
              summary="Change a customer's contact (only the fields sent)",
              responses=problems(*AUTHED, 404, 412))
async def change_contact(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                         contact_id: uuid.UUID, body: ContactChange, expected: IfMatch,
                         response: Response) -> CustomerOut:
    customer, _ = await ctx.customers.contacts.change(actor, customer_id, contact_id,
                                                      body.changes(), expected)
    return versioned(response, customer, CustomerOut.of)


@router.delete("/{contact_id}", response_model=CustomerOut,
               summary="Remove a customer's contact", responses=problems(*AUTHED, 404, 412))
async def remove_contact(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                         contact_id: uuid.UUID, expected: IfMatch,
                         response: Response) -> CustomerOut:
    customer = await ctx.customers.contacts.remove(actor, customer_id, contact_id, expected)
    return versioned(response, customer, CustomerOut.of)

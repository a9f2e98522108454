"""/me: who the caller is, changing one's own password, and one's default columns and sort
for each list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from api.deps import Ctx, CurrentActor, CurrentPrincipal, CurrentUser, IfMatch, versioned
from api.schemas import AUTHED, DateTime, Input, problems
from api.v1.schemas.fields_and_tags import COLUMNS_DOC, ColumnName
from api.v1.schemas.identity import MeOut, PasswordChange
from domain.fields_and_tags.model import ListSettings
from domain.fields_and_tags.views import MAX_COLUMNS

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut, summary="Who am I", responses=problems(401))
async def get_me(principal: CurrentPrincipal, user: CurrentUser) -> MeOut:
    return MeOut.of(principal, user)


@router.post("/me/password", status_code=204, summary="Change my password",
             responses=problems(*AUTHED, 429),
             description="A wrong `current_password` counts toward the account's lockout, "
             "like a failed log-in; a locked account answers 429 with Retry-After.")
async def change_my_password(ctx: Ctx, actor: CurrentActor, body: PasswordChange) -> Response:
    await ctx.identity.change_own_password(actor, body.current_password, body.new_password)
    return Response(status_code=204)


ListName = Annotated[str, Path(pattern="^(customer|lead|opportunity|contract)$",
                               description="The list: customer, lead, opportunity or contract")]


class ListSettingsIn(Input):
    columns: list[ColumnName] = Field(
        max_length=MAX_COLUMNS, description=COLUMNS_DOC, json_schema_extra={"uniqueItems": True},
        examples=[["number", "name", "status", "next_followup_at"]])
    sort: str | None = Field(None, max_length=40, examples=["-updated_at"],
                             description="One of the list's sorts; null: its default order")


class ListSettingsOut(BaseModel):
    object: str
    columns: list[str] = Field(description="Empty until saved: the client's own default")
    sort: str | None
    version: int = Field(description="0 until saved")
    updated_at: DateTime | None

    @classmethod
    def of(cls, s: ListSettings) -> ListSettingsOut:
        return cls(object=s.object, columns=s.columns, sort=s.sort, version=s.version,
                   updated_at=s.updated_at)


@router.get("/me/list-settings/{object}", response_model=ListSettingsOut,
            summary="My columns and sort for a list", responses=problems(*AUTHED))
async def get_list_settings(ctx: Ctx, actor: CurrentActor, object: ListName,
                            response: Response) -> ListSettingsOut:
    return versioned(response, await ctx.catalog.list_settings(actor, object),
                     ListSettingsOut.of)


@router.put("/me/list-settings/{object}", response_model=ListSettingsOut,
            summary="Save my columns and sort for a list",
            responses=problems(*AUTHED, 412),
            description="The same on every device the user signs in on. `If-Match` with the "
            "ETag read (\"0\" before the first save) refuses a stale write with 412.")
async def put_list_settings(ctx: Ctx, actor: CurrentActor, object: ListName,
                            body: ListSettingsIn, expected: IfMatch,
                            response: Response) -> ListSettingsOut:
    saved = await ctx.catalog.save_list_settings(actor, object, body.columns, body.sort,
                                                 expected)
    return versioned(response, saved, ListSettingsOut.of)

"""/templates: the messages notifications are written from, shipped and overridden."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CurrentActor, IfMatch, Notify, PageParams, versioned
from api.schemas import AUTHED, DateTime, ListOf, problems
from api.v1.schemas.notify import (
    ONE_OF_CHANNELS,
    ONE_OF_KINDS,
    ONE_OF_LOCALES,
    PreviewIn,
    PreviewOut,
    TemplateCreate,
    TemplateOut,
    TemplateUpdate,
)

router = APIRouter(prefix="/templates", tags=["templates"])


@router.get("", response_model=ListOf[TemplateOut],
            summary="Message templates (shipped and custom; settings:read)",
            responses=problems(*AUTHED))
async def list_templates(
    notify: Notify, actor: CurrentActor, page: PageParams,
    kind: Annotated[str | None, Query(max_length=64, json_schema_extra=ONE_OF_KINDS)] = None,
    channel: Annotated[str | None, Query(max_length=16, json_schema_extra=ONE_OF_CHANNELS)] = None,
    locale: Annotated[str | None, Query(max_length=16, json_schema_extra=ONE_OF_LOCALES)] = None,
    builtin: bool | None = None,
    updated_since: DateTime | None = None,
) -> ListOf[TemplateOut]:
    result = await notify.templates.list(actor, page, kind=kind, channel=channel, locale=locale,
                                         builtin=builtin, updated_since=updated_since)
    return ListOf[TemplateOut].page(result, TemplateOut.of)


@router.get("/{template_id}", response_model=TemplateOut, summary="One template",
            responses=problems(*AUTHED, 404))
async def get_template(notify: Notify, actor: CurrentActor, template_id: uuid.UUID,
                       response: Response) -> TemplateOut:
    return versioned(response, await notify.templates.get(actor, template_id), TemplateOut.of)


@router.post("", response_model=TemplateOut, status_code=201,
             summary="Override a shipped template for a kind, channel and locale (admins)",
             responses=problems(*AUTHED, 409))
async def create_template(notify: Notify, actor: CurrentActor, body: TemplateCreate,
                          response: Response) -> TemplateOut:
    return versioned(response, await notify.templates.create(actor, body.command()), TemplateOut.of)


@router.patch("/{template_id}", response_model=TemplateOut,
              summary="Change a custom template (admins)",
              responses=problems(*AUTHED, 404, 409, 412))
async def update_template(notify: Notify, actor: CurrentActor, template_id: uuid.UUID,
                          body: TemplateUpdate, expected: IfMatch,
                          response: Response) -> TemplateOut:
    t = await notify.templates.change(actor, template_id, body.command(), expected)
    return versioned(response, t, TemplateOut.of)


@router.delete("/{template_id}", status_code=204,
               summary="Delete a custom template; the shipped one applies again (admins)",
               responses=problems(*AUTHED, 404, 409))
async def delete_template(notify: Notify, actor: CurrentActor,
                          template_id: uuid.UUID) -> Response:
    await notify.templates.delete(actor, template_id)
    return Response(status_code=204)


@router.post("/{template_id}/preview", response_model=PreviewOut,
             summary="Render a template with the variables given",
             responses=problems(*AUTHED, 404))
async def preview_template(notify: Notify, actor: CurrentActor, template_id: uuid.UUID,
                           body: PreviewIn) -> PreviewOut:
    return PreviewOut.of(await notify.templates.preview(actor, template_id, body.command()))

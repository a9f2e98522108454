"""/api-keys: the keys integrations call the API with, and their scopes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import Ctx, CurrentActor, PageParams
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.identity import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.get("", response_model=ListOf[ApiKeyOut], summary="List API keys",
            responses=problems(*AUTHED))
async def list_api_keys(ctx: Ctx, actor: CurrentActor, page: PageParams) -> ListOf[ApiKeyOut]:
    return ListOf[ApiKeyOut].page(await ctx.identity.list_api_keys(actor, page), ApiKeyOut.of)


@router.post("", response_model=ApiKeyCreated, status_code=201,
             summary="Create an API key (the secret is shown once)", responses=problems(*AUTHED))
async def create_api_key(ctx: Ctx, actor: CurrentActor, body: ApiKeyCreate) -> ApiKeyCreated:
    key, secret = await ctx.identity.create_api_key(actor, body.name, set(body.scopes))
    return ApiKeyCreated(**ApiKeyOut.of(key).model_dump(), secret=secret)


@router.delete("/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key",
               responses=problems(*AUTHED, 404, 409))
async def revoke_api_key(ctx: Ctx, actor: CurrentActor, key_id: uuid.UUID) -> ApiKeyOut:
    return ApiKeyOut.of(await ctx.identity.revoke_api_key(actor, key_id))

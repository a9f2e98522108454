"""/auth: signing in with e-mail and password, and swapping refresh tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import Ctx, actor_of
from api.schemas import problems
from api.v1.schemas.identity import RefreshRequest, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token", response_model=TokenResponse, summary="Sign in with e-mail and password",
    responses=problems(401, 422, 429),
    description="OAuth2 password flow: `username` is the e-mail. Repeated failures lock the "
    "account for a while (429 with Retry-After), whether or not the account exists; one "
    "client address has a limited number of attempts per minute (429 too).",
)
async def issue_token(
    request: Request, ctx: Ctx, form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenResponse:
    pair = await ctx.identity.login(form.username, form.password, actor_of(request, None))
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                         expires_in=pair.expires_in)


@router.post(
    "/refresh", response_model=TokenResponse, summary="Swap a refresh token for new tokens",
    responses=problems(401, 422),
    description="Refresh tokens rotate: each works once. Presenting a used one again ends "
    "the whole session family.",
)
async def refresh_token(request: Request, ctx: Ctx, body: RefreshRequest) -> TokenResponse:
    pair = await ctx.identity.refresh(body.refresh_token, actor_of(request, None))
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                         expires_in=pair.expires_in)

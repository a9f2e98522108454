"""/me: who the caller is, and changing one's own password."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, CurrentPrincipal, CurrentUser
from api.schemas import AUTHED, problems
from api.v1.schemas.identity import MeOut, PasswordChange

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

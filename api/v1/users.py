"""/users and /roles: the organisation's users, the directory of names, what each role may do."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, created, versioned
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.identity import (
    DirectoryEntry,
    PasswordReset,
    RoleOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from domain.identity.ports import UserFilter
from domain.shared.authz import Role, Scope

router = APIRouter(prefix="/users", tags=["users"])
roles = APIRouter(prefix="/roles", tags=["users"])


@roles.get("", response_model=list[RoleOut], summary="Each role and what it may do",
           description="The permission matrix: every role with its scopes. Roles are fixed; "
           "a user gets one (PATCH /users/{id}).", responses=problems(*AUTHED))
async def list_roles(ctx: Ctx, actor: CurrentActor) -> list[RoleOut]:
    return [RoleOut(role=role, scopes=sorted(scopes, key=list(Scope).index))
            for role, scopes in ctx.identity.roles(actor).items()]


@router.get("", response_model=ListOf[UserOut], summary="List users",
            responses=problems(*AUTHED))
async def list_users(
    ctx: Ctx, actor: CurrentActor, page: PageParams,
    role: Role | None = None, department_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of name or e-mail")] = None,
) -> ListOf[UserOut]:
    flt = UserFilter(role=role, department_ids=[department_id] if department_id else None,
                     is_active=is_active, q=q)
    return ListOf[UserOut].page(await ctx.identity.list_users(actor, flt, page), UserOut.of)


@router.get("/directory", response_model=ListOf[DirectoryEntry],
            summary="Names of all users (for any signed-in user)",
            description="Id, name, role, department and whether active, of every user, "
            "inactive ones included (they still own records): what a client needs to show "
            "a name for an `owner_id`, `assignee_id` or `decided_by`. No e-mail addresses. "
            "API keys need `users:read`.",
            responses=problems(*AUTHED))
async def user_directory(ctx: Ctx, actor: CurrentActor, page: PageParams
                         ) -> ListOf[DirectoryEntry]:
    return ListOf[DirectoryEntry].page(await ctx.identity.directory(actor, page),
                                       DirectoryEntry.of)


@router.post("", response_model=UserOut, status_code=201, summary="Create a user",
             responses=problems(*AUTHED, 409))
async def create_user(ctx: Ctx, actor: CurrentActor, body: UserCreate,
                      response: Response) -> UserOut:
    user = await ctx.identity.create_user(
        actor, email=body.email, name=body.name, role=body.role,
        department_id=body.department_id, password=body.password)
    return created(response, user, UserOut.of, "/api/v1/users")


# `:uuid`: a sibling fixed path (apply, directory, event-types) is never read as an id,
# so another method on it is a 405, not a 422 about the id
@router.get("/{user_id:uuid}", response_model=UserOut, summary="Get a user",
            responses=problems(*AUTHED, 404))
async def get_user(ctx: Ctx, actor: CurrentActor, user_id: uuid.UUID,
                   response: Response) -> UserOut:
    return versioned(response, await ctx.identity.get_user(actor, user_id), UserOut.of)


@router.patch("/{user_id:uuid}", response_model=UserOut,
              summary="Update a user (name, role, department, active)",
              responses=problems(*AUTHED, 404, 412))
async def update_user(ctx: Ctx, actor: CurrentActor, user_id: uuid.UUID, body: UserUpdate,
                      expected: IfMatch, response: Response) -> UserOut:
    user = await ctx.identity.update_user(actor, user_id, body.command(),
                                          expected_version=expected)
    return versioned(response, user, UserOut.of)


@router.post("/{user_id}/password", status_code=204, summary="Reset a user's password",
             responses=problems(*AUTHED, 404))
async def reset_password(ctx: Ctx, actor: CurrentActor, user_id: uuid.UUID,
                         body: PasswordReset) -> Response:
    await ctx.identity.reset_password(actor, user_id, body.new_password)
    return Response(status_code=204)

"""/departments: the department tree that scopes what managers see."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, created, versioned
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.identity import DepartmentCreate, DepartmentOut, DepartmentUpdate

router = APIRouter(prefix="/departments", tags=["departments"])


@router.get("", response_model=ListOf[DepartmentOut], summary="List departments",
            responses=problems(*AUTHED))
async def list_departments(ctx: Ctx, actor: CurrentActor, page: PageParams
                           ) -> ListOf[DepartmentOut]:
    return ListOf[DepartmentOut].page(await ctx.identity.list_departments(actor, page),
                                      DepartmentOut.of)


@router.post("", response_model=DepartmentOut, status_code=201, summary="Create a department",
             responses=problems(*AUTHED))
async def create_department(ctx: Ctx, actor: CurrentActor, body: DepartmentCreate,
                            response: Response) -> DepartmentOut:
    dept = await ctx.identity.create_department(actor, body.name, body.parent_id)
    return created(response, dept, DepartmentOut.of, "/api/v1/departments")


@router.get("/{department_id}", response_model=DepartmentOut, summary="Get a department",
            responses=problems(*AUTHED, 404))
async def get_department(ctx: Ctx, actor: CurrentActor, department_id: uuid.UUID,
                         response: Response) -> DepartmentOut:
    dept = await ctx.identity.get_department(actor, department_id)
    return versioned(response, dept, DepartmentOut.of)


@router.patch("/{department_id}", response_model=DepartmentOut,
              summary="Rename or move a department", responses=problems(*AUTHED, 404, 412))
async def update_department(ctx: Ctx, actor: CurrentActor, department_id: uuid.UUID,
                            body: DepartmentUpdate, expected: IfMatch,
                            response: Response) -> DepartmentOut:
    dept = await ctx.identity.update_department(actor, department_id, body.command(),
                                                expected_version=expected)
    return versioned(response, dept, DepartmentOut.of)


@router.delete("/{department_id}", status_code=204, summary="Delete an empty department",
               responses=problems(*AUTHED, 404, 409))
async def delete_department(ctx: Ctx, actor: CurrentActor, department_id: uuid.UUID
                            ) -> Response:
    await ctx.identity.delete_department(actor, department_id)
    return Response(status_code=204)

"""/audit-log: reading the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Ctx, CurrentActor, PageParams
from api.schemas import AUTHED, DateTime, ListOf, problems
from api.v1.schemas.identity import AuditEntryOut
from domain.audit.ports import AuditFilter

router = APIRouter(prefix="/audit-log", tags=["audit-log"])


@router.get("", response_model=ListOf[AuditEntryOut], summary="Read the audit log, newest first",
            responses=problems(*AUTHED),
            description="Filters combine: who (`actor_id`), which record (`target_type` with "
            "`target_id`), what (`action`) and when (`since` included, `until` excluded). "
            "Each filter with a time range reads only the months the range covers.")
async def list_audit_log(
    ctx: Ctx, actor: CurrentActor, page: PageParams,
    actor_id: Annotated[uuid.UUID | None, Query(description="The user (or API key) who acted")
                        ] = None,
    target_type: Annotated[str | None, Query(max_length=50, examples=["contract"])] = None,
    target_id: Annotated[str | None, Query(max_length=100, description="Needs target_type")
                         ] = None,
    action: Annotated[str | None, Query(max_length=100, examples=["auth.login_failed"])] = None,
    since: DateTime | None = None, until: DateTime | None = None,
) -> ListOf[AuditEntryOut]:
    flt = AuditFilter(actor_id=actor_id, target_type=target_type, target_id=target_id,
                      action=action, since=since, until=until)
    return ListOf[AuditEntryOut].page(await ctx.identity.list_audit(actor, flt, page),
                                      AuditEntryOut.of)

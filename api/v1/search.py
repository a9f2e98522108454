"""The global search: customers, contacts, leads, opportunities and contracts at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Ctx, CurrentActor
from api.schemas import AUTHED, problems
from api.v1.schemas.search import SearchOut
from domain.search.model import MAX_PER_GROUP, MAX_QUERY, MIN_QUERY
from domain.shared.errors import PermissionDenied

router = APIRouter(prefix="/search", tags=["search"])


@router.get(
    "", response_model=SearchOut, summary="Search every kind of record at once",
    responses=problems(*AUTHED, 429),
    description="Finds customers, contacts, leads, opportunities and contracts by part of "
    "the name, number or company, and by the pinyin of Chinese names: the full spelling "
    "(`mingyuan`) or the initials (`shmyjm` for 上海明远精密机械). Words separated by spaces "
    "must all match. Only the kinds the caller may read are searched, each under the "
    "caller's record visibility. Four digits also find contacts whose phone ends with them: "
    "among all the caller sees with `pii:reveal`, else among the caller's own customers; "
    "each such look-up is audited and counted per caller (429 past the limit).",
)
async def search(
    ctx: Ctx, actor: CurrentActor,
    q: Annotated[str, Query(min_length=MIN_QUERY, max_length=MAX_QUERY,
                            description="What to find", examples=["mingyuan"])],
    limit: Annotated[int, Query(ge=1, le=MAX_PER_GROUP, description="Hits per kind")] = 5,
) -> SearchOut:
    if ctx.search is None:
        raise PermissionDenied("Search is not available")
    return SearchOut.of(await ctx.search.search(actor, q, limit))

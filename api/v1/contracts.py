"""Contracts over HTTP: drafts, the approval chain and inbox, life after approval, the
approval policy and the approval-time report."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from api.bulk import BulkIds, BulkOut
from api.deps import (
    USER_REF,
    USER_REF_OR_ALL,
    ApiContext,
    CountedPageParams,
    Ctx,
    CurrentActor,
    IfMatch,
    PageParams,
    set_etag,
    user_ref,
    versioned,
)
from api.schemas import AUTHED, CountedListOf, DateTime, ListOf, problems
from api.v1.schemas.contracts import (
    ApprovalHistoryOut,
    ApprovalTimesOut,
    ContractCreate,
    ContractOut,
    ContractUpdate,
    Decision,
    InboxItemOut,
    PolicyIn,
    PolicyOut,
    Termination,
)
from api.v1.schemas.customers import Tombstone
from domain.contracts.commands import UpdateContract
from domain.contracts.model import Contract, ContractStatus
from domain.contracts.queries import SORTABLE, ContractFilter
from domain.shared import bulk
from domain.shared.authz import Scope
from domain.shared.paging import Sort

router = APIRouter(prefix="/contracts", tags=["contracts"])
approvals = APIRouter(prefix="/approvals", tags=["contracts"])
policy = APIRouter(prefix="/approval-policy", tags=["contracts"])
reports = APIRouter(prefix="/reports", tags=["reports"])

Step = Annotated[int, Path(ge=1, le=10, description="The step's number in the current round")]


def _out(ctx: ApiContext, c: Contract, response: Response) -> ContractOut:
    set_etag(response, c.version)
    return ContractOut.of(c, ctx.contracts.clock.now())


@router.get("", response_model=CountedListOf[ContractOut | Tombstone], summary="List contracts",
            responses=problems(*AUTHED),
            description="Newest first. A rep sees their own, a manager their team's, finance, "
            "legal, executives and admins all; approvers also see what they are asked to "
            "decide. `q` matches the number or the title. Sort by "
            f"{', '.join(SORTABLE)} (prefix - for descending; default -created_at). "
            "`updated_since` returns changes oldest first, deleted drafts as tombstones.")
async def list_contracts(
    ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    status: ContractStatus | None = None,
    customer_id: uuid.UUID | None = None, opportunity_id: uuid.UUID | None = None,
    owner: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")
                     ] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    updated_since: DateTime | None = None,
    sort: Annotated[str | None, Query(examples=["-amount"])] = None,
) -> CountedListOf[ContractOut | Tombstone]:
    flt = ContractFilter(status=status, customer_id=customer_id, opportunity_id=opportunity_id,
                         owner_id=user_ref(owner, actor, "owner"), q=q or None,
                         updated_since=updated_since, sort=Sort.parse(sort, SORTABLE))
    result = await ctx.contracts.list(actor, flt, page)
    now = ctx.contracts.clock.now()

    def item(c: Contract) -> ContractOut | Tombstone:
        if c.deleted_at is not None:
            return Tombstone(id=c.id, version=c.version, updated_at=c.updated_at)
        return ContractOut.of(c, now)

    return CountedListOf[ContractOut | Tombstone].page(result, item)


class ContractBulkAssign(BulkIds):
    owner_id: uuid.UUID = Field(description="The new owner of every contract picked")


@router.post("/bulk-assign", response_model=BulkOut,
             summary="Hand the contracts picked on the list to another owner",
             responses=problems(*AUTHED),
             description="Each contract is reassigned as by `PATCH /contracts/{id}` with "
             "`owner_id`: the same permissions, audit entry and events. The answer says how "
             "each fared; one refused leaves the others done.")
async def bulk_assign_contracts(ctx: Ctx, actor: CurrentActor,
                                body: ContractBulkAssign) -> BulkOut:
    command = UpdateContract(owner_id=body.owner_id)
    return BulkOut.of(await bulk.each(actor, Scope.CONTRACTS_WRITE, body.ids,
                                      lambda i: ctx.contracts.update(actor, i, command, None)))


@router.post("/bulk-delete", response_model=BulkOut,
             summary="Delete the draft contracts picked on the list",
             responses=problems(*AUTHED),
             description="Each is deleted as by `DELETE /contracts/{id}`: only drafts (and "
             "rejected ones) can go; any other answers 409 in its item while the drafts are "
             "deleted. Deleted drafts reach phones as tombstones (`updated_since`).")
async def bulk_delete_contracts(ctx: Ctx, actor: CurrentActor, body: BulkIds) -> BulkOut:
    return BulkOut.of(await bulk.each(actor, Scope.CONTRACTS_WRITE, body.ids,
                                      lambda i: ctx.contracts.delete(actor, i, None)))


@router.post("", response_model=ContractOut, status_code=201, summary="Draft a contract",
             responses=problems(*AUTHED, 404),
             description="The amount is the sum of the line items (quantity × unit price − "
             "discount %), computed here; a client's total is never trusted.")
async def create_contract(ctx: Ctx, actor: CurrentActor, body: ContractCreate,
                          response: Response) -> ContractOut:
    c = await ctx.contracts.create(actor, body.command())
    response.headers["Location"] = f"/api/v1/contracts/{c.id}"
    return _out(ctx, c, response)


@router.get("/{contract_id}", response_model=ContractOut, summary="Get a contract",
            responses=problems(*AUTHED, 404))
async def get_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                       response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.get(actor, contract_id), response)


@router.patch("/{contract_id}", response_model=ContractOut, summary="Edit a draft",
              responses=problems(*AUTHED, 404, 409, 412),
              description="Only drafts are editable; editing a rejected contract takes it "
              "back to draft so it can be submitted again. Send If-Match.")
async def update_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                          body: ContractUpdate, expected: IfMatch,
                          response: Response) -> ContractOut:
    c = await ctx.contracts.update(actor, contract_id, body.command(), expected)
    return _out(ctx, c, response)


@router.delete("/{contract_id}", status_code=204, summary="Delete a draft",
               responses=problems(*AUTHED, 404, 409, 412))
async def delete_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                          expected: IfMatch) -> Response:
    await ctx.contracts.delete(actor, contract_id, expected)
    return Response(status_code=204)


@router.post("/{contract_id}/submit", response_model=ContractOut,
             summary="Submit for approval", responses=problems(*AUTHED, 404, 409, 412),
             description="The policy picks the chain: the owner's sales manager, finance, and "
             "an executive at or above the threshold; a different person at each step, never "
             "the owner. The first approver is notified.")
async def submit_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                          expected: IfMatch, response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.submit(actor, contract_id, expected), response)


@router.post("/{contract_id}/approvals/{step}/approve", response_model=ContractOut,
             summary="Approve your step", responses=problems(*AUTHED, 404, 409))
async def approve_step(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID, step: Step,
                       response: Response, body: Decision | None = None) -> ContractOut:
    c = await ctx.contracts.decide(actor, contract_id, step, True,
                                   body.comment if body else None)
    return _out(ctx, c, response)


@router.post("/{contract_id}/approvals/{step}/reject", response_model=ContractOut,
             summary="Reject your step (a comment is required)",
             responses=problems(*AUTHED, 404, 409))
async def reject_step(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID, step: Step,
                      body: Decision, response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.decide(actor, contract_id, step, False, body.comment),
                response)


@router.get("/{contract_id}/approvals", response_model=ApprovalHistoryOut,
            summary="Every approval round with who decided what, when, and how long it took",
            responses=problems(*AUTHED, 404))
async def approval_history(ctx: Ctx, actor: CurrentActor,
                           contract_id: uuid.UUID) -> ApprovalHistoryOut:
    c = await ctx.contracts.get(actor, contract_id)
    return ApprovalHistoryOut.of(c, ctx.contracts.clock.now())


@router.post("/{contract_id}/sign", response_model=ContractOut,
             summary="Record the signature of an approved contract (legal is notified)",
             responses=problems(*AUTHED, 404, 409))
async def sign_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                        response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.sign(actor, contract_id), response)


@router.post("/{contract_id}/activate", response_model=ContractOut,
             summary="Put a signed contract in force (also done on its start date)",
             responses=problems(*AUTHED, 404, 409))
async def activate_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                            response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.activate(actor, contract_id), response)


@router.post("/{contract_id}/payment-received", response_model=ContractOut,
             summary="Confirm the payment arrived (finance)",
             responses=problems(*AUTHED, 404, 409),
             description="Moves the linked opportunity to won and the customer's grade to "
             "closed, in the same transaction.")
async def payment_received(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                           response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.payment_received(actor, contract_id), response)


@router.post("/{contract_id}/complete", response_model=ContractOut,
             summary="Mark an active contract fulfilled", responses=problems(*AUTHED, 404, 409))
async def complete_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                            response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.complete(actor, contract_id), response)


@router.post("/{contract_id}/terminate", response_model=ContractOut,
             summary="End a signed or active contract early, with the reason",
             responses=problems(*AUTHED, 404, 409))
async def terminate_contract(ctx: Ctx, actor: CurrentActor, contract_id: uuid.UUID,
                             body: Termination, response: Response) -> ContractOut:
    return _out(ctx, await ctx.contracts.terminate(actor, contract_id, body.reason), response)


@approvals.get("", response_model=ListOf[InboxItemOut],
               summary="An approver's inbox: steps waiting for a decision, oldest first",
               responses=problems(*AUTHED),
               description="`assignee=me` (default): steps assigned or escalated to you. "
               "Admins and executives may pass a user id, or `all`.")
async def approval_inbox(
    ctx: Ctx, actor: CurrentActor, page: PageParams,
    assignee: Annotated[str, Query(pattern=USER_REF_OR_ALL,
                                           description="'me', a user id, or 'all'")] = "me",
) -> ListOf[InboxItemOut]:
    who = None if assignee == "all" else user_ref(assignee, actor, "assignee")
    return ListOf[InboxItemOut].page(await ctx.contracts.inbox(actor, who, page),
                                     InboxItemOut.of)


@policy.get("", response_model=PolicyOut, summary="The approval policy",
            responses=problems(*AUTHED))
async def get_policy(ctx: Ctx, actor: CurrentActor, response: Response) -> PolicyOut:
    return versioned(response, await ctx.contracts.policy(actor), PolicyOut.of)


@policy.put("", response_model=PolicyOut, summary="Replace the approval policy (admins)",
            responses=problems(*AUTHED, 412))
async def put_policy(ctx: Ctx, actor: CurrentActor, body: PolicyIn, expected: IfMatch,
                     response: Response) -> PolicyOut:
    p = await ctx.contracts.set_policy(actor, body.settings(), expected)
    return versioned(response, p, PolicyOut.of)


@reports.get("/approval-times", response_model=ApprovalTimesOut,
             summary="How long approvals take, per step role and per round",
             responses=problems(*AUTHED),
             description="Decisions between `since` (default: 30 days before `until`) and "
             "`until` (default: now). Wall-clock hours, plus working hours per the policy's "
             "calendar; the share of rounds decided within a day is the target to watch.")
async def approval_times(ctx: Ctx, actor: CurrentActor, since: DateTime | None = None,
                         until: DateTime | None = None) -> ApprovalTimesOut:
    return ApprovalTimesOut.of(await ctx.contracts.approval_times(actor, since, until))

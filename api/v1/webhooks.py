"""Signed webhooks: endpoints, the event types they subscribe to, their delivery log.

Managed by principals with `settings:write` (admins and API keys granted it).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, created, versioned
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.webhooks import (
    DeliveryOut,
    EventTypeOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)
from domain.webhooks.model import DeliveryStatus

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("/event-types", response_model=list[EventTypeOut],
            summary="The event types a webhook may subscribe to", responses=problems(*AUTHED))
async def list_event_types(ctx: Ctx, actor: CurrentActor) -> list[EventTypeOut]:
    return [EventTypeOut(type=k, description=v)
            for k, v in ctx.webhooks.event_types(actor).items()]


@router.get("", response_model=ListOf[WebhookOut], summary="Webhook endpoints",
            responses=problems(*AUTHED))
async def list_webhooks(ctx: Ctx, actor: CurrentActor, page: PageParams) -> ListOf[WebhookOut]:
    return ListOf[WebhookOut].page(await ctx.webhooks.list(actor, page), WebhookOut.of)


@router.post("", response_model=WebhookWithSecret, status_code=201,
             summary="Add a webhook endpoint; its signing secret is shown this once",
             description="Each event of a subscribed type is POSTed as JSON "
             '`{"type", "timestamp", "data", "sequence"}` with Standard Webhooks headers '
             "(webhook-id, webhook-timestamp, webhook-signature). The URL must resolve to "
             "public addresses unless an admin sets allow_private.",
             responses=problems(*AUTHED))
async def create_webhook(ctx: Ctx, actor: CurrentActor, body: WebhookCreate,
                         response: Response) -> WebhookWithSecret:
    endpoint = await ctx.webhooks.create(actor, body.command())
    return created(response, endpoint, WebhookWithSecret.of, "/api/v1/webhooks")


# `:uuid`: a sibling fixed path (apply, directory, event-types) is never read as an id,
# so another method on it is a 405, not a 422 about the id
@router.get("/{webhook_id:uuid}", response_model=WebhookOut, summary="Get a webhook endpoint",
            responses=problems(*AUTHED, 404))
async def get_webhook(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID,
                      response: Response) -> WebhookOut:
    return versioned(response, await ctx.webhooks.get(actor, webhook_id), WebhookOut.of)


@router.patch("/{webhook_id:uuid}", response_model=WebhookOut,
              summary="Edit a webhook endpoint (active: false pauses it, true resumes it)",
              responses=problems(*AUTHED, 404, 412))
async def update_webhook(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID,
                         body: WebhookUpdate, expected: IfMatch,
                         response: Response) -> WebhookOut:
    endpoint = await ctx.webhooks.update(actor, webhook_id, body.command(), expected)
    return versioned(response, endpoint, WebhookOut.of)


@router.delete("/{webhook_id:uuid}", status_code=204,
               summary="Delete a webhook endpoint and its delivery log",
               responses=problems(*AUTHED, 404))
async def delete_webhook(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID) -> Response:
    await ctx.webhooks.delete(actor, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookWithSecret,
             summary="Give the endpoint a new signing secret (shown this once)",
             description="Every attempt from now on is signed with the new secret, retries "
             "of earlier messages included. For 24 hours (`previous_secret_until`) each "
             "message carries a second signature made with the old secret (the "
             "`webhook-signature` header holds both, space-separated), so a receiver that "
             "has not deployed the new secret yet still accepts it.",
             responses=problems(*AUTHED, 404))
async def rotate_webhook_secret(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID,
                                response: Response) -> WebhookWithSecret:
    endpoint = await ctx.webhooks.rotate_secret(actor, webhook_id)
    return versioned(response, endpoint, WebhookWithSecret.of)


@router.get("/{webhook_id}/deliveries", response_model=ListOf[DeliveryOut],
            summary="The delivery log of an endpoint, newest event first",
            responses=problems(*AUTHED, 404))
async def list_deliveries(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID,
                          page: PageParams,
                          status: DeliveryStatus | None = None) -> ListOf[DeliveryOut]:
    return ListOf[DeliveryOut].page(
        await ctx.webhooks.deliveries(actor, webhook_id, status, page), DeliveryOut.of)


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut,
             status_code=202,
             summary="Send a delivery again, from the start of the retry schedule",
             description="The same webhook-id and body go out again (re-signed).",
             responses=problems(*AUTHED, 404, 409))
async def redeliver(ctx: Ctx, actor: CurrentActor, webhook_id: uuid.UUID,
                    delivery_id: uuid.UUID) -> DeliveryOut:
    return DeliveryOut.of(await ctx.webhooks.redeliver(actor, webhook_id, delivery_id))

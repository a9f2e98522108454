"""Notification preferences, deliveries to e-mail/SMS, and the live stream (SSE)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import UUID_TEXT, CurrentActor, IfMatch, Notify, PageParams, versioned
from api.errors import problem
from api.schemas import AUTHED, DateTime, ListOf, problems
from api.v1.schemas.identity import NotificationOut
from api.v1.schemas.notify import DeliveryOut, PreferencesIn, PreferencesOut
from domain.notifications.model import DeliveryStatus, Notification
from domain.notifications.ports import FeedClosed, FeedSubscription
from domain.shared.errors import PermissionDenied, ValidationFailed
from domain.shared.text import text

router = APIRouter(prefix="/notifications", tags=["notifications"])
preferences = APIRouter(prefix="/me/notification-preferences", tags=["me"])


@preferences.get("", response_model=PreferencesOut,
                 summary="My language, SMS number and channels per notification kind",
                 responses=problems(*AUTHED))
async def get_notification_preferences(notify: Notify, actor: CurrentActor,
                                       response: Response) -> PreferencesOut:
    return versioned(response, await notify.preferences.get(actor), PreferencesOut.of)


@preferences.put("", response_model=PreferencesOut,
                 summary="Change my notification preferences (only the kinds listed change)",
                 responses=problems(*AUTHED, 412))
async def put_notification_preferences(notify: Notify, actor: CurrentActor,
                                       body: PreferencesIn, expected: IfMatch,
                                       response: Response) -> PreferencesOut:
    prefs = await notify.preferences.change(actor, body.command(), expected_version=expected)
    return versioned(response, prefs, PreferencesOut.of)


@router.get("/deliveries", response_model=ListOf[DeliveryOut],
            summary="E-mail and SMS deliveries of my notifications (admins: anyone's)",
            responses=problems(*AUTHED))
async def list_deliveries(
    notify: Notify, actor: CurrentActor, page: PageParams,
    user_id: Annotated[uuid.UUID | None, Query(description="Admins: whose")] = None,
    all_users: Annotated[bool, Query(description="Admins: everyone's")] = False,
    status: Annotated[DeliveryStatus | None, Query(description="pending, sent or failed")
                      ] = None,
    channel: Annotated[Literal["email", "sms"] | None, Query(description="email or sms")
                       ] = None,
    updated_since: DateTime | None = None,
) -> ListOf[DeliveryOut]:
    result = await notify.deliveries.list(actor, page, user_id=user_id, status=status,
                                          channel=channel, everyone=all_users,
                                          updated_since=updated_since)
    return ListOf[DeliveryOut].page(result, DeliveryOut.of)


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut,
             summary="Try a failed delivery once more (its recipient, or an admin)",
             responses=problems(*AUTHED, 404, 409))
async def retry_delivery(notify: Notify, actor: CurrentActor,
                         delivery_id: uuid.UUID) -> DeliveryOut:
    return DeliveryOut.of(await notify.deliveries.retry_failed(actor, delivery_id))


STREAM_DOC = (
    "Server-sent events: `event: notification` with the notification as JSON (the shape of "
    "the inbox items) for each new notification of the caller, within about a second of its "
    "commit; a `: keep-alive` comment when quiet. Read it with fetch streaming and the usual "
    "Authorization header.")


@router.get("/stream", response_class=StreamingResponse, summary="My new notifications, live",
            description=STREAM_DOC,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "An endless event stream"},
                       **problems(401, 403, 422, 503)})
async def stream_notifications(
    request: Request, notify: Notify, actor: CurrentActor,
    last_event_id: Annotated[str | None, Header(
        alias="Last-Event-ID", max_length=100, pattern=f"^{UUID_TEXT}$",
        description="Reconnecting: the last id you got; what came after it is sent first")
    ] = None,
) -> Response:
    p = actor.principal
    if p is None or p.user_id is None:
        raise PermissionDenied("Only users have an inbox")
    resume_after = None
    if last_event_id:
        try:
            resume_after = uuid.UUID(last_event_id.strip())
        except ValueError:
            raise ValidationFailed.of("Last-Event-ID", "must be an id this stream sent") \
                from None
    # Listening first, then reading what was missed: nothing falls between the two.
    try:
        subscription = await notify.feed.subscribe(p.user_id)
    except FeedClosed:
        return problem(request, 503, text("problem.shutting_down"),
                       headers={"Retry-After": "3"})
    try:
        missed = (await notify.feed.since(p.user_id, resume_after, MISSED_MAX)
                  if resume_after else [])
    except BaseException:
        subscription.close()
        raise
    return StreamingResponse(
        _events(subscription, missed, notify.keepalive_seconds), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


MISSED_MAX = 200


def _event(n: Notification) -> str:
    data = json.dumps(NotificationOut.of(n).model_dump(mode="json"), ensure_ascii=False)
    return f"id: {n.id}\nevent: notification\ndata: {data}\n\n"


async def _events(subscription: FeedSubscription, missed: list[Notification],
                  keepalive: float) -> AsyncIterator[str]:
    try:
        yield ": connected\nretry: 3000\n\n"
        sent = {n.id for n in missed}
        for n in missed:
            yield _event(n)
        while True:
            try:
                new = await subscription.next(keepalive)
            except FeedClosed:
                return  # shutting down: end the response cleanly, clients reconnect
            if new is None:
                yield ": keep-alive\n\n"
            elif new.id not in sent:
                yield _event(new)
    finally:
        subscription.close()

"""Request-scoped dependencies as Annotated aliases: the context, the caller, the page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Query, Request, Response
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from api.schemas import without_null
from domain.contracts.service import ContractService
from domain.customers.service import CustomerService
from domain.exports.service import ExportService
from domain.fields_and_tags.service import CatalogService
from domain.identity.model import User
from domain.identity.service import IdentityService, principal_of
from domain.imports.service import ImportService
from domain.leads.intake_service import IntakeService
from domain.leads.service import LeadService
from domain.leads.settings_service import LeadSettingsService
from domain.notifications.delivery_service import DeliveryService
from domain.notifications.inbox_service import NotificationService
from domain.notifications.ports import NotificationFeed
from domain.notifications.preferences_service import PreferenceService
from domain.notifications.templates_service import TemplateService
from domain.pipeline.service import OpportunityService
from domain.search.service import SearchService
from domain.shared.authz import Actor, Principal
from domain.shared.errors import AuthenticationFailed, ValidationFailed
from domain.shared.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from domain.shared.ports import IdempotencyStore, TokenBuckets
from domain.shared.text import set_locale
from domain.webhooks.service import WebhookService

if TYPE_CHECKING:
    from api.rate_limits import RateLimitPolicy


@dataclass
class NotifyContext:
    """What the notification routers use: templates, preferences, deliveries and the live feed."""

    templates: TemplateService
    preferences: PreferenceService
    deliveries: DeliveryService
    feed: NotificationFeed
    keepalive_seconds: float = 15.0


@dataclass
class ApiContext:
    identity: IdentityService
    customers: CustomerService
    catalog: CatalogService
    imports: ImportService
    exports: ExportService
    notifications: NotificationService
    leads: LeadService
    lead_settings: LeadSettingsService
    opportunities: OpportunityService
    intake: IntakeService
    contracts: ContractService
    idempotency: IdempotencyStore
    webhooks: WebhookService
    health: Callable[[], Awaitable[dict[str, bool]]]
    max_body_bytes: int = 1024 * 1024
    max_import_bytes: int = 20 * 1024 * 1024
    web_dist: Path | None = None
    notify: NotifyContext | None = None
    # Which server an exception says is away (PostgreSQL, Redis), or None: such a failure is
    # answered 503 with Retry-After instead of 500.
    outage_of: Callable[[BaseException], Any] = lambda _exc: None
    # The per-caller limit on every API request and where its buckets live (None: no limit).
    rate_limit: RateLimitPolicy | None = None
    buckets: TokenBuckets | None = None
    # The organisation's language, for callers who chose none and whose browser names none of ours.
    default_locale: str = "zh-CN"
    search: SearchService | None = None


async def get_context(request: Request) -> ApiContext:
    # async: FastAPI runs a plain def dependency in a thread pool, a hand-off per request
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(get_context)]


def get_notify(ctx: Ctx) -> NotifyContext:
    assert ctx.notify is not None, "the composition root wires the notification channels"
    return ctx.notify


Notify = Annotated[NotifyContext, Depends(get_notify)]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An integration's API key (crm_…)")


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def current_principal(
    request: Request, ctx: Ctx,
    bearer: Annotated[str | None, Depends(oauth2)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """A user's access token or an integration's API key (as Bearer or X-API-Key)."""
    credential = bearer or api_key
    if not credential:
        raise AuthenticationFailed("identity.sign_in_first")
    if credential.startswith("crm_"):
        principal = await ctx.identity.principal_for_api_key(credential)
    else:
        user = await ctx.identity.user_for_access_token(credential)
        request.state.user = user
        set_locale(user.locale)
        principal = principal_of(user)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def actor_of(request: Request, principal: Principal | None) -> Actor:
    return Actor(principal=principal, ip=client_ip(request),
                 request_id=getattr(request.state, "request_id", None))


async def current_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    return actor_of(request, principal)


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def current_user(request: Request, principal: CurrentPrincipal) -> User | None:
    """The signed-in user (None for an integration)."""
    return getattr(request.state, "user", None)


CurrentUser = Annotated[User | None, Depends(current_user)]


# what encode_cursor writes: unpadded URL-safe base64
CURSOR = r"^[A-Za-z0-9_-]+$"


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000, pattern=CURSOR,
                                        description="next_cursor of the previous page")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


PageParams = Annotated[PageRequest, Depends(page_params)]


async def counted_page_params(
    page: PageParams,
    with_total: Annotated[bool, Query(description=(
        "Also count the records that match (the `total` of the answer): ask on the first page "
        "of a screen, not on every page of a sync"))] = False,
) -> PageRequest:
    return PageRequest(limit=page.limit, cursor=page.cursor, with_total=with_total)


# The lists a person works through on a screen: they can also say how many records match.
CountedPageParams = Annotated[PageRequest, Depends(counted_page_params)]

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')
IF_MATCH = r'^(\*|(W/)?"\d{1,18}")$'



async def if_match(
    value: Annotated[str | None, Header(alias="If-Match", pattern=IF_MATCH,
                                        json_schema_extra=without_null,
                                        description='The ETag you read, e.g. "3", or *')] = None,
) -> int | None:
    """The version the client last saw, or None for an unconditional write."""
    if value is None or value.strip() == "*":
        return None
    m = _ETAG.match(value.strip())
    if not m:
        raise ValidationFailed.of("If-Match", "api.bad_etag")
    return int(m.group(1))


IfMatch = Annotated[int | None, Depends(if_match)]


UUID_TEXT = r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}"
USER_REF = rf"^(me|{UUID_TEXT})$"
USER_REF_OR_ALL = rf"^(me|all|{UUID_TEXT})$"


def user_ref(value: str | None, actor: Actor, field: str) -> uuid.UUID | None:
    """A query parameter naming a user: its id, or 'me' for the caller."""
    if not value:
        return None
    if value == "me":
        return actor.principal.id if actor.principal else None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed.of(field, "api.bad_user_ref") from None


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    """The version a client sends back in If-Match to refuse a stale edit."""
    response.headers["ETag"] = etag(version)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


class Record(Versioned, Protocol):
    @property
    def id(self) -> uuid.UUID: ...


V = TypeVar("V", bound=Versioned)
R = TypeVar("R", bound=Record)
Out = TypeVar("Out")


def versioned(response: Response, record: V, shape: Callable[[V], Out]) -> Out:
    """One record in its response shape, its version sent as the ETag."""
    set_etag(response, record.version)
    return shape(record)


def created(response: Response, record: R, shape: Callable[[R], Out], collection: str) -> Out:
    """A record just made: its ETag, and its address under `collection` as the Location."""
    set_etag(response, record.version)
    response.headers["Location"] = f"{collection}/{record.id}"
    return shape(record)

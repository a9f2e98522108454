"""create_app: the FastAPI application around an ApiContext built by the composition root."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import ApiContext
from api.errors import install_error_handlers
from api.middleware import (
    BodyLimitMiddleware,
    IdempotencyMiddleware,
    RequestContextMiddleware,
    UnavailableMiddleware,
    verified_caller,
)
from api.rate_limits import RateLimitMiddleware
from api.schemas import problems
from api.security_headers import SecurityHeadersMiddleware, install_local_docs
from api.v1 import (
    api_keys,
    audit,
    auth,
    contacts,
    contracts,
    customers,
    departments,
    exports,
    fields_and_tags,
    followups,
    imports,
    intake,
    lead_settings,
    leads,
    me,
    notification_channels,
    notifications,
    opportunities,
    search,
    tasks,
    templates,
    users,
    webhooks,
)

API_PREFIX = "/api/v1"

# What any request may be answered before (or beside) its route's own rules: a malformed
# Content-Length, JSON or Idempotency-Key (400), a body over the size limit (413), the rate
# limit (429), the database away (503).
BEFORE_ROUTING = (400, 413)
ANY_REQUEST = problems(*BEFORE_ROUTING, 429, 503)


def operation_id(route: APIRoute) -> str:
    """`{tag}-{name}`: stable names for the generated clients."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="CRM API", version="1.0.0",
        description="Customers, leads, pipeline, contracts and automation. "
        "Errors are RFC 9457 problem+json; lists are cursor-paginated.",
        generate_unique_id_function=operation_id,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None,
    )
    install_local_docs(app, f"{API_PREFIX}/docs", f"{API_PREFIX}/openapi.json")
    app.state.ctx = ctx
    install_error_handlers(app)

    # Each router straight under the app with the /api/v1 prefix, not through a "v1" router:
    # a nested include costs FastAPI a second level of matching on every request.
    # FastAPI tries the routers in this order: the busiest first (their prefixes are their
    # own, so the order decides nothing but how many are tried before the match).
    routers = [module.router for module in (
        customers, leads, opportunities, auth, me, users, departments, api_keys, audit,
        notification_channels, notifications, followups, tasks, templates)]
    routers += [notification_channels.preferences, customers.picklists,
                fields_and_tags.custom_fields, fields_and_tags.tags, fields_and_tags.segments,
                contacts.router, imports.router, exports.router,
                lead_settings.scoring, lead_settings.routing, lead_settings.forms,
                intake.router, opportunities.pipelines, contracts.router,
                contracts.approvals, contracts.policy, contracts.reports, webhooks.router,
                users.roles, search.router]
    for router in routers:
        app.include_router(router, prefix=API_PREFIX, responses=ANY_REQUEST)
    app.include_router(health_router(ctx), responses=problems(*BEFORE_ROUTING))

    # Added last = runs first: request id, the 503 for an outage (around everything that may
    # reach the database), then the rate limit, then the size limit, then idempotency.
    caller_of = verified_caller(ctx.identity)
    app.add_middleware(IdempotencyMiddleware, get_store=lambda: ctx.idempotency,
                       caller_of=caller_of)
    app.add_middleware(BodyLimitMiddleware, max_bytes=ctx.max_body_bytes,
                       overrides={f"{API_PREFIX}/imports": ctx.max_import_bytes})
    if ctx.rate_limit is not None and ctx.buckets is not None:
        app.add_middleware(RateLimitMiddleware, buckets=ctx.buckets, policy=ctx.rate_limit,
                           caller_of=caller_of)
    app.add_middleware(UnavailableMiddleware, outage_of=ctx.outage_of)
    app.add_middleware(RequestContextMiddleware, default_locale=ctx.default_locale)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def health_router(ctx: ApiContext) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and Redis answer",
                responses={503: {"description": "A dependency is down"}})
    async def readyz() -> JSONResponse:
        checks = await ctx.health()
        ok = all(checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    return router

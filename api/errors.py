"""The one mapping from errors to RFC 9457 problem+json responses."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import actor_of
from api.validation_texts import pydantic_text
from domain.shared.catalogue import has, render
from domain.shared.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    DomainError,
    FieldProblem,
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    QueryTimedOut,
    RateLimited,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.text import Text, text

log = logging.getLogger("crm.api")

PROBLEM = "application/problem+json"

SLUGS = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 412: "stale-version", 413: "too-large",
    415: "unsupported-media-type", 422: "validation", 429: "too-many-requests",
    500: "internal", 503: "unavailable",
}


def title_of(status: int) -> str:
    code = f"problem.{status}"
    return render(text(code if has(code) else "problem.error"))


def problem_body(status: int, detail: str | Text, *, title: str | None = None,
                 errors: list[dict[str, str]] | None = None, request_id: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """RFC 9457 problem in the current request's language. `type` and each error's `code`
    stay the same in every language, for clients that act on them."""
    body: dict[str, Any] = {
        "type": f"/problems/{SLUGS.get(status, 'error')}",
        "title": title or title_of(status),
        "status": status,
        "detail": render(detail),
    }
    if isinstance(detail, Text) and detail.code not in ("literal", "validation.fields"):
        body["code"] = detail.code
    if errors is not None:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_bytes(status: int, detail: str | Text, **kw: Any) -> bytes:
    return json.dumps(problem_body(status, detail, **kw), default=str).encode()


def problem(request: Request, status: int, detail: str | Text, *,
            headers: dict[str, str] | None = None, **kw: Any) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    return JSONResponse(problem_body(status, detail, request_id=rid, **kw), status_code=status,
                        media_type=PROBLEM, headers=headers)


def field_error(problem_: FieldProblem) -> dict[str, str]:
    return {"field": problem_.field, "code": problem_.code, "message": render(problem_.text)}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            return problem(request, 400, text("problem.body_not_json"),
                           errors=[field_error(FieldProblem("body", "not_json"))])
        problems.append(FieldProblem(_field(tuple(e.get("loc", ()))), pydantic_text(e)))
    if not problems:
        return problem(request, 422, text("problem.invalid_request"))
    return problem(request, 422, ValidationFailed(problems).text,
                   errors=[field_error(p) for p in problems])


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this path. Starlette's 405 names only the methods of
    the first route that matched the path, and a path's methods are spread over several
    routes. Where a fixed path and a templated one both match (/tags/apply, /tags/{tag_id}),
    the fixed one is the resource."""
    table: list[tuple[re.Pattern[str], int, frozenset[str]]] | None = getattr(
        request.app.state, "allowed_methods", None)
    if table is None:
        table = []
        for template, operations in request.app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            table.append((re.compile(f"^{pattern}$"), template.count("{"),
                          frozenset(method.upper() for method in operations)))
        request.app.state.allowed_methods = table
    matches = [(params, methods) for pattern, params, methods in table
               if pattern.match(request.url.path)]
    if not matches:
        return []
    fewest = min(params for params, _ in matches)
    allowed = set().union(*(methods for params, methods in matches if params == fewest))
    if "GET" in allowed:
        allowed.add("HEAD")
    return sorted(allowed | {"OPTIONS"})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> Response:
        detail: str | Text = (exc.detail if isinstance(exc.detail, str)
                              else title_of(exc.status_code))
        if exc.status_code == 404 and detail == "Not Found":
            detail = text("problem.nothing_here", path=request.url.path)
        elif detail in ("Not Found", "Method Not Allowed", "Unsupported Media Type"):
            detail = title_of(exc.status_code)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
            if request.method == "OPTIONS":
                # RFC 9110 §9.3.7: OPTIONS asks which methods the resource has; no CORS grant
                # here (only the public intake form answers browsers from other sites).
                return Response(status_code=204, headers=headers)
            detail = text("problem.method_not_allowed", method=request.method,
                          path=request.url.path)
        return problem(request, exc.status_code, detail, headers=headers or None)

    @app.exception_handler(DomainError)
    async def _on_domain(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ValidationFailed):
            return problem(request, 422, exc.text,
                           errors=[field_error(p) for p in exc.problems])
        if isinstance(exc, HiddenRecord):
            await _audit_denial(request, exc)
            return problem(request, 404, exc.text)
        if isinstance(exc, NotFound):
            return problem(request, 404, exc.text)
        if isinstance(exc, PermissionDenied):
            await _audit_denial(request, exc)
            return problem(request, 403, exc.text)
        if isinstance(exc, RateLimited):
            return problem(request, 429, exc.text,
                           headers={"Retry-After": str(exc.retry_after_seconds)})
        if isinstance(exc, AccountLocked):
            return problem(request, 429, exc.text,
                           headers={"Retry-After": str(exc.retry_after_seconds)})
        if isinstance(exc, AuthenticationFailed):
            return problem(request, 401, exc.text, headers={"WWW-Authenticate": "Bearer"})
        if isinstance(exc, StaleVersion):
            return problem(request, 412, exc.text, current_version=exc.actual)
        if isinstance(exc, Conflict):
            return problem(request, 409, exc.text,
                           existing_id=str(exc.existing_id) if exc.existing_id else None)
        if isinstance(exc, InvalidTransition):
            return problem(request, 409, exc.text)
        if isinstance(exc, QueryTimedOut):
            return problem(request, 503, exc.text)
        return problem(request, 400, exc.text)

    # Values the database or its driver cannot take (out-of-range dates and numbers, text it
    # cannot encode, nesting too deep to parse) are the client's problem, never a 500.
    async def _on_unstorable(request: Request, exc: Exception) -> JSONResponse:
        log.info("refused an unstorable value on %s: %r", request.url.path, type(exc))
        return problem(request, 422, text("problem.unstorable"))

    for kind in (OverflowError, UnicodeError, RecursionError):
        app.add_exception_handler(kind, _on_unstorable)

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, text("problem.crash"))


async def _audit_denial(request: Request, exc: DomainError) -> None:
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None:
        return
    actor = actor_of(request, getattr(request.state, "principal", None))
    try:
        await ctx.identity.record_denial(actor, render(exc.text, "en"),
                                         f"{request.method} {request.url.path}")
    except Exception:
        log.exception("could not audit a permission failure")

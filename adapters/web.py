"""The HTTP application as deployed: the API, plus the built web client when there is one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)

from adapters.bootstrap import Container, build
from adapters.outages import unavailable
from adapters.settings import Settings
from api.errors import problem
from api.main import create_app
from domain.shared.text import text


def create_web_app(container: Container, web_dist: Path | None = None) -> FastAPI:
    app = create_app(container.api_context())
    install_database_errors(app)
    mount_web_client(app, web_dist or container.settings.web_dist)
    return app


# Paths the API owns: never answered with the web client, even when nothing matched them.
API_PATHS = ("api", "docs", "openapi.json", "healthz", "readyz")


def mount_web_client(app: FastAPI, dist: Path) -> None:
    """Serves the built SPA at `/`: its files as they are, any other page path as index.html
    (client-side routes), and unknown API paths still as the API's 404."""
    root = dist.resolve()
    index = root / "index.html"
    if not index.is_file():
        return

    async def web_client(request: Request, path: str) -> Response:
        first = path.split("/", 1)[0]
        if first in API_PATHS:
            return problem(request, 404, text("problem.no_route"))
        if path:
            candidate = (root / path).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                # Hashed assets never change; index.html must be re-read to see new builds.
                immutable = candidate.parent.name == "assets"
                return FileResponse(candidate, headers={"Cache-Control": (
                    "public, max-age=31536000, immutable" if immutable else "no-cache")})
            if first == "assets" or "." in path.rsplit("/", 1)[-1]:
                return problem(request, 404, text("problem.no_file"))
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/{path:path}", web_client, methods=["GET", "HEAD"],
                      include_in_schema=False)


def install_database_errors(app: FastAPI) -> None:
    """What the database refuses becomes a 4xx (or a 503 when it is away), never a 500."""

    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        if unavailable(exc):
            raise exc  # the outage middleware answers 503 with Retry-After
        orig = getattr(exc, "orig", None)
        sqlstate = str(getattr(orig, "sqlstate", "") or "")
        if isinstance(exc, IntegrityError) or sqlstate.startswith("23"):
            return problem(request, 409, text("problem.conflicts_existing"))
        if (isinstance(exc, DataError) or sqlstate.startswith("22")
                or isinstance(orig, (ValueError, OverflowError))):
            return problem(request, 422, text("problem.unstorable"))
        if isinstance(exc, (OperationalError, InterfaceError)) or sqlstate.startswith("08"):
            return problem(request, 503, text("problem.database_silent"))
        raise exc

    app.add_exception_handler(StatementError, unstorable)


def openapi_document() -> dict[str, Any]:
    """The spec needs no connection: build the app around never-used placeholders."""
    settings = Settings(database_url="postgresql://unused@localhost/unused",
                        redis_url="redis://localhost:1/0", web_dist=Path("/nonexistent"))
    return create_app(build(settings).api_context()).openapi()

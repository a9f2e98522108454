"""The HTTP application as deployed: the API, plus the built web client when there is one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from api.errors import problem
from api.main import create_app


def create_web_app(container: Container) -> FastAPI:
    app = create_app(container.api_context())
    install_database_errors(app)
    return app


def install_database_errors(app: FastAPI) -> None:
    """What the database refuses becomes a 4xx (or a 503 when it is away), never a 500."""

    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", None)
        sqlstate = str(getattr(orig, "sqlstate", "") or "")
        if isinstance(exc, IntegrityError) or sqlstate.startswith("23"):
            return problem(request, 409, "This conflicts with data that already exists")
        if (isinstance(exc, DataError) or sqlstate.startswith("22")
                or isinstance(orig, (ValueError, OverflowError))):
            return problem(request, 422, "A value in the request is out of range or contains "
                           "characters that cannot be stored")
        if isinstance(exc, (OperationalError, InterfaceError)) or sqlstate.startswith("08"):
            return problem(request, 503, "The database is not answering; try again shortly")
        raise exc

    app.add_exception_handler(StatementError, unstorable)


def openapi_document() -> dict[str, Any]:
    """The spec needs no connection: build the app around never-used placeholders."""
    settings = Settings(database_url="postgresql://unused@localhost/unused",
                        redis_url="redis://localhost:1/0", web_dist=Path("/nonexistent"))
    return create_app(build(settings).api_context()).openapi()

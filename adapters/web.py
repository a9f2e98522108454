"""The HTTP application as deployed: the API, plus the built web client when there is one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from api.main import create_app


def create_web_app(container: Container) -> FastAPI:
    return create_app(container.api_context())


def openapi_document() -> dict[str, Any]:
    """The spec needs no connection: build the app around never-used placeholders."""
    settings = Settings(database_url="postgresql://unused@localhost/unused",
                        redis_url="redis://localhost:1/0", web_dist=Path("/nonexistent"))
    return create_app(build(settings).api_context()).openapi()

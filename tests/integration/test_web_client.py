"""The built web client is served at `/`, client-side routes fall back to index.html, and the
API's own paths are never shadowed by it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.bootstrap import Container
from adapters.web import create_web_app

INDEX = '<!doctype html><html><body><div id="root"></div></body></html>'


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside the dist folder")
    return tmp_path


@pytest.fixture
async def web(container: Container, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_web_app(container, web_dist=dist)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as c:
        yield c


async def test_root_and_client_routes_answer_index_html(web: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/customers/6f1c2a54-0000-4000-8000-000000000000", "/admin/users"):
        r = await web.get(path)
        assert r.status_code == 200, path
        assert r.text == INDEX
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"


async def test_built_files_are_served_as_they_are(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js")
    assert r.status_code == 200
    assert r.text == "console.log('app')"
    assert "immutable" in r.headers["cache-control"]
    assert (await web.get("/favicon.svg")).text == "<svg/>"


async def test_missing_files_are_404_not_index(web: httpx.AsyncClient) -> None:
    assert (await web.get("/assets/gone-123.js")).status_code == 404
    assert (await web.get("/robots.txt")).status_code == 404
    r = await web.get("/../secret.txt")
    assert "outside the dist folder" not in r.text
    r = await web.get("/%2e%2e/secret.txt")
    assert "outside the dist folder" not in r.text


async def test_api_paths_are_not_shadowed(web: httpx.AsyncClient) -> None:
    assert (await web.get("/healthz")).json() == {"status": "ok"}
    r = await web.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json()["info"]["title"] == "CRM API"
    assert (await web.get("/api/v1/docs")).status_code == 200
    r = await web.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await web.get("/api/v1/no-such-route")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    for path in ("/api", "/docs", "/openapi.json", "/readyz/extra"):
        r = await web.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path


async def test_no_dist_means_no_web_client(container: Container, tmp_path: Path) -> None:
    app = create_web_app(container, web_dist=tmp_path / "missing")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://crm.test") as c:
        assert (await c.get("/customers")).status_code == 404
        assert (await c.get("/healthz")).status_code == 200

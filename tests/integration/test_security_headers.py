"""Every answer tells the browser not to sniff types nor frame the page; the SPA runs under a
content security policy that allows only its own scripts; the API docs load nothing from a CDN."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.bootstrap import Container
from adapters.web import create_web_app
from tests.conftest import World

INDEX = ('<!doctype html><html><head><script type="module" crossorigin '
         'src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>')


@pytest.fixture
async def web(container: Container, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    app = create_web_app(container, web_dist=tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://crm.test") as c:
        yield c


def policy(response: httpx.Response) -> dict[str, str]:
    csp = response.headers["content-security-policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in csp.split("; ")}


async def test_every_answer_forbids_sniffing_and_framing(web: httpx.AsyncClient,
                                                         world: World) -> None:
    answers = [
        await web.get("/"), await web.get("/customers"), await web.get("/assets/index-abc123.js"),
        await web.get("/api/v1/customers", headers=world.auth("rep")),
        await web.get("/api/v1/customers"),  # 401
        await web.get("/api/v1/nothing-here"),  # 404
        await web.get("/healthz"), await web.get("/api/v1/openapi.json"),
    ]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["x-frame-options"] == "DENY", r.url
        assert policy(r)["frame-ancestors"] == "'none'", r.url


async def test_the_spa_may_run_only_its_own_scripts(web: httpx.AsyncClient) -> None:
    r = await web.get("/")
    assert r.status_code == 200
    rules = policy(r)
    assert rules["script-src"] == "'self'"
    assert "'unsafe-inline'" in rules["style-src"]  # Ant Design writes its styles inline
    assert rules["object-src"] == "'none'"
    # The page loads its scripts from its own origin only: nothing the policy would block.
    assert re.findall(r'src="([^"]+)"', r.text) == ["/assets/index-abc123.js"]


async def test_the_docs_page_loads_swagger_ui_from_this_server(web: httpx.AsyncClient) -> None:
    r = await web.get("/api/v1/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text.lower() and "https://" not in r.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(urls) == 3
    for url in urls:
        assert url.startswith("/api/v1/docs/static/"), url
        asset = await web.get(url)
        assert asset.status_code == 200 and len(asset.content) > 500, url
    assert "/api/v1/docs/static/swagger-ui-bundle.js" in urls
    # Its one inline script (starting Swagger UI) is allowed by its hash and nothing else is.
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy(r)["script-src"] == f"'self' 'sha256-{digest}'"

"""Headers that tell browsers to treat every answer safely, and the API docs page served from
this server's own files instead of a public CDN.

The content security policy fits the built SPA: its scripts are files under /assets (no inline
script), while Ant Design writes its styles inline at run time, so styles allow 'unsafe-inline'.
The docs page starts Swagger UI with one inline script, allowed by its hash alone.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**overrides: str) -> str:
    return "; ".join(f"{name} {value}" for name, value in {**CSP_DIRECTIVES, **overrides}.items())


CSP = content_security_policy()
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SecurityHeadersMiddleware:
    """Adds the headers to every answer; a route that set its own policy keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in ALWAYS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install_local_docs(app: FastAPI, docs_url: str, openapi_url: str) -> None:
    """Swagger UI at docs_url, its script and style files from the swagger-ui-bundle package."""
    static_url = f"{docs_url}/static"
    app.mount(static_url, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{app.title} - docs",
        swagger_js_url=f"{static_url}/swagger-ui-bundle.js",
        swagger_css_url=f"{static_url}/swagger-ui.css",
        swagger_favicon_url=f"{static_url}/favicon-32x32.png",
        # Swagger UI would otherwise send the document to a public validator for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    ).body
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page).decode()))
    policy = content_security_policy(**{"script-src": f"'self' {hashes}"})

    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})

    app.add_api_route(docs_url, docs, methods=["GET"], include_in_schema=False)

"""The yardstick for GET /api/v1/me: a bare Starlette endpoint doing the same token check
(python-jose HS256 decode) and one SELECT of the user, with the same engine settings.

Run by bench/me_vs_bare.py: `python bench/bare_me.py` reads CRM_DATABASE_URL and CRM_SECRET_KEY.
"""

from __future__ import annotations

import os
import uuid

import uvicorn
from jose import JWTError, jwt
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.db import tables
from adapters.db.engine import build_engine

engine = build_engine(os.environ["CRM_DATABASE_URL"])
KEY = os.environ["CRM_SECRET_KEY"]


async def me(request: Request) -> JSONResponse:
    auth = request.headers.get("authorization", "")
    try:
        claims = jwt.decode(auth[7:], KEY, algorithms=["HS256"], issuer="crm")
        user_id = uuid.UUID(claims["sub"])
    except (JWTError, KeyError, ValueError):
        return JSONResponse({"detail": "bad token"}, status_code=401)
    async with engine.connect() as conn:
        # The same access as the API's lookup of the caller: one autocommit SELECT.
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        row = (await conn.execute(select(tables.users).where(tables.users.c.id == user_id))).first()
    if row is None or not row.is_active or row.token_version != claims["tv"]:
        return JSONResponse({"detail": "bad token"}, status_code=401)
    return JSONResponse({"id": str(row.id), "email": row.email, "name": row.name,
                         "role": row.role})


app = Starlette(routes=[Route("/me", me)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8101")),
                log_level="warning", access_log=False)

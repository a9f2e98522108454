"""The public endpoint website forms post to: no login, a small body, the form's site only."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.deps import Ctx, client_ip
from api.schemas import problems
from api.v1.schemas.intake import IntakeReceived, IntakeSubmission
from api.validation_texts import pydantic_text
from domain.shared.errors import FieldProblem, ValidationFailed
from domain.shared.text import text

router = APIRouter(prefix="/intake", tags=["intake"])

MAX_BODY_BYTES = 16 * 1024  # a contact form, not an upload
MAX_FIELDS = 50
FormKey = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                              description="The form's public key")]

_BODY_DOC = {
    "required": True,
    "content": {
        "application/json": {"schema": IntakeSubmission.model_json_schema(
            ref_template="#/components/schemas/{model}")},
        "application/x-www-form-urlencoded": {"schema": IntakeSubmission.model_json_schema(
            ref_template="#/components/schemas/{model}")},
    },
}


class Refused(HTTPException):
    """A submission refused before it reaches the core, with the words as a text code."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(status)
        self.text = text(code, **params)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, "lead.intake_too_large", limit=MAX_BODY_BYTES)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, "lead.intake_too_large", limit=MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    kind = content_type.split(";")[0].strip().lower()
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "lead.intake_not_utf8") from None
    if kind == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(decoded, keep_blank_values=True, max_num_fields=MAX_FIELDS))
        except ValueError:
            raise ValidationFailed.of("body", "lead.intake_too_many_fields",
                                      max=MAX_FIELDS) from None
    if kind in ("application/json", "text/plain", ""):  # text/plain: a beacon, no preflight
        try:
            data = json.loads(decoded or "{}")
        except ValueError:
            raise Refused(400, "problem.body_not_json") from None
        if not isinstance(data, dict):
            raise ValidationFailed.of("body", "lead.intake_not_an_object")
        return data
    raise Refused(415, "lead.intake_media_type")


def _checked(data: dict[str, Any]) -> dict[str, str]:
    if len(data) > MAX_FIELDS:
        raise ValidationFailed.of("body", "lead.intake_too_many_fields", max=MAX_FIELDS)
    try:
        IntakeSubmission.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed([FieldProblem(".".join(str(x) for x in err["loc"]) or "body",
                                             pydantic_text(err)) for err in e.errors()]) from None
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationFailed.of(str(key)[:50], "not_a_string")
        if len(str(value)) > 5000:
            raise ValidationFailed.of(str(key)[:50], "too_long", max=5000)
        if "\x00" in str(value) or "\x00" in str(key):
            raise ValidationFailed.of(str(key)[:50].replace("\x00", ""),
                                      "lead.intake_nul_character")
        out[str(key)[:50]] = str(value)
    return out


@router.post(
    "/{form_key}", status_code=202, response_model=IntakeReceived,
    summary="Submit a website form (public: no login)",
    description="For the form's own site only (its Origin; servers may post without one). "
    "Limited per address and per form (429 with Retry-After); at most 16 KiB. A submission "
    "that fills the form's honeypot field is answered like any other and dropped. Unknown "
    "fields are ignored; badly typed ones (a budget of \"about 50万\") are dropped.",
    responses=problems(400, 403, 404, 413, 415, 422, 429),
    openapi_extra={"requestBody": _BODY_DOC},
)
async def submit_form(request: Request, ctx: Ctx, form_key: FormKey) -> JSONResponse:
    origin = request.headers.get("origin")
    fields = _checked(_fields(request.headers.get("content-type", ""), await _body(request)))
    receipt = await ctx.intake.submit(
        form_key, fields, ip=client_ip(request), origin=origin,
        request_id=getattr(request.state, "request_id", None))
    headers = {"Vary": "Origin"}
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = receipt.allowed_origin
    return JSONResponse(IntakeReceived().model_dump(), status_code=202, headers=headers)


@router.options("/{form_key}", status_code=204,
                summary="CORS preflight: allowed for the form's own site only",
                responses=problems(403, 404, 422, 429))
async def preflight_form(request: Request, ctx: Ctx, form_key: FormKey) -> Response:
    allowed = await ctx.intake.preflight(form_key, client_ip(request),
                                         request.headers.get("origin"))
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": allowed, "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600",
        "Vary": "Origin"})

"""/imports: uploading customer or lead lists, following their progress, the rows refused."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.csv import csv_text
from api.deps import Ctx, CurrentActor
from api.schemas import AUTHED, DateTime, problems
from domain.imports.commands import CreateImport
from domain.imports.model import Import, ImportStatus, Policy, Target
from domain.shared.errors import ValidationFailed

router = APIRouter(prefix="/imports", tags=["imports"])


class ImportOut(BaseModel):
    id: uuid.UUID
    filename: str
    format: str
    encoding: str | None
    policy: Policy
    target: Target
    dry_run: bool
    status: ImportStatus
    error: str | None
    mapping: dict[str, str] = Field(description="file column → field ('ignore' for unused)")
    rows_total: int
    rows_read: int
    created: int
    updated: int
    merged: int
    skipped: int
    rejected: int
    progress: float = Field(description="0 to 1")
    created_at: DateTime | None
    finished_at: DateTime | None

    @classmethod
    def of(cls, i: Import) -> ImportOut:
        progress = 1.0 if i.status in (ImportStatus.DONE, ImportStatus.PREVIEWED) else (
            i.rows_read / i.rows_total if i.rows_total else 0.0)
        return cls(id=i.id, filename=i.filename, format=i.format, encoding=i.encoding,
                   policy=i.policy, target=i.target, dry_run=i.dry_run, status=i.status,
                   error=i.error,
                   mapping=i.mapping, rows_total=i.rows_total, rows_read=i.rows_read,
                   created=i.created, updated=i.updated, merged=i.merged, skipped=i.skipped,
                   rejected=i.rejected, progress=round(min(progress, 1.0), 4),
                   created_at=i.created_at, finished_at=i.finished_at)


@router.post(
    "", response_model=ImportOut, status_code=202, responses=problems(*AUTHED, 413),
    summary="Upload customers from a CSV or XLSX file (runs as a job; poll GET /imports/{id})",
    description="Columns are recognised by their headers (客户名称/name, 联系人/contact, "
    "手机/mobile, 邮箱/email, 所属行业/industry, 负责销售/owner, 标签/tags …) unless `mapping` "
    "(JSON: header → field) says otherwise. `dry_run=true` reports what would happen and "
    "writes nothing; start it for real with POST /imports/{id}/start. Duplicates (same phone "
    "or same normalised name, inside the file or already in the CRM) follow `policy`.",
)
async def create_import(
    ctx: Ctx, actor: CurrentActor,
    file: Annotated[UploadFile, File(description=".csv (UTF-8 or GB18030) or .xlsx")],
    policy: Annotated[Policy, Form()] = Policy.SKIP,
    dry_run: Annotated[bool, Form()] = False,
    mapping: Annotated[str | None, Form(description='e.g. {"公司": "name"}')] = None,
    encoding: Annotated[str | None, Form(pattern="^(utf-8|utf-8-sig|gb18030|gbk)$")] = None,
    target: Annotated[Target, Form(description="customers, or leads for a trade-show list "
                                   "(each row captured, scored and routed as a lead)")
                      ] = Target.CUSTOMERS,
) -> ImportOut:
    parsed = None
    if mapping:
        try:
            parsed = json.loads(mapping)
        except (ValueError, RecursionError):
            raise ValidationFailed.of("mapping", "import.mapping_not_json") from None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise ValidationFailed.of("mapping", "import.mapping_shape")
    imp = await ctx.imports.create(actor, CreateImport(
        filename=file.filename or "upload.csv", content=await file.read(), policy=policy,
        dry_run=dry_run, mapping=parsed, encoding=encoding, target=target))
    return ImportOut.of(imp)


@router.get("/{import_id}", response_model=ImportOut, summary="An import's progress",
            responses=problems(*AUTHED, 404))
async def get_import(ctx: Ctx, actor: CurrentActor, import_id: uuid.UUID) -> ImportOut:
    return ImportOut.of(await ctx.imports.get(actor, import_id))


@router.post("/{import_id}/start", response_model=ImportOut, status_code=202,
             summary="Run a finished dry run for real", responses=problems(*AUTHED, 404, 409))
async def start_import(ctx: Ctx, actor: CurrentActor, import_id: uuid.UUID) -> ImportOut:
    return ImportOut.of(await ctx.imports.start(actor, import_id))


@router.get("/{import_id}/errors", summary="The rejected and skipped rows, as CSV",
            response_class=Response, responses={
                200: {"content": {"text/csv": {}}}, **problems(*AUTHED, 404)})
async def import_errors(ctx: Ctx, actor: CurrentActor, import_id: uuid.UUID) -> Response:
    rows = await ctx.imports.error_rows(actor, import_id)
    body = csv_text([["row", "column", "reason", "outcome"], *rows])
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'})

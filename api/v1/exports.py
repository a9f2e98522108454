"""/exports: customer lists written to CSV or XLSX by a job, and their download."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import Ctx, CurrentActor
from api.schemas import AUTHED, DateTime, Input, problems
from api.v1.schemas.fields_and_tags import FILTER_DOC, FILTER_EXAMPLE
from domain.customers.queries import filter_from_dict
from domain.exports.commands import CreateExport
from domain.exports.model import MAX_ACTIVE_PER_USER, Export, ExportFormat, ExportStatus

router = APIRouter(prefix="/exports", tags=["exports"])


class ExportCreate(Input):
    format: ExportFormat = ExportFormat.CSV
    filter: dict[str, Any] | None = Field(None, description=FILTER_DOC,
                                          examples=[FILTER_EXAMPLE])
    segment_id: uuid.UUID | None = Field(None, description="Export a saved segment instead")
    reveal: bool = Field(False, description="Cleartext personal data (pii:reveal; audited)")

    def command(self) -> CreateExport:
        """A segment's export ignores `filter`; otherwise the filter is read here, naming the
        bad field (filter.x) as the customer list does."""
        flt = filter_from_dict(self.filter or {}) if self.segment_id is None else None
        return CreateExport(format=self.format, filter=flt, segment_id=self.segment_id,
                            reveal=self.reveal)


class ExportOut(BaseModel):
    id: uuid.UUID
    format: ExportFormat
    status: ExportStatus
    error: str | None
    rows_written: int
    bytes: int
    reveal: bool
    filter: dict[str, Any]
    created_at: DateTime | None
    finished_at: DateTime | None
    download: str | None = Field(description="Where to fetch the file once done")

    @classmethod
    def of(cls, e: Export) -> ExportOut:
        return cls(id=e.id, format=e.format, status=e.status, error=e.error,
                   rows_written=e.rows_written, bytes=e.bytes, reveal=e.reveal,
                   filter=e.filter, created_at=e.created_at, finished_at=e.finished_at,
                   download=f"/api/v1/exports/{e.id}/download"
                   if e.status == ExportStatus.DONE else None)


@router.post("", response_model=ExportOut, status_code=202,
             summary="Export customers (a filter or a segment) as CSV or XLSX; runs as a job",
             description=f"One user has at most {MAX_ACTIVE_PER_USER} exports waiting or "
             "running at once; one more answers 429 until one of them finishes.",
             responses=problems(*AUTHED, 404, 429))
async def create_export(ctx: Ctx, actor: CurrentActor, body: ExportCreate) -> ExportOut:
    return ExportOut.of(await ctx.exports.create(actor, body.command()))


@router.get("/{export_id}", response_model=ExportOut, summary="An export's progress",
            responses=problems(*AUTHED, 404))
async def get_export(ctx: Ctx, actor: CurrentActor, export_id: uuid.UUID) -> ExportOut:
    return ExportOut.of(await ctx.exports.get(actor, export_id))


@router.get("/{export_id}/download", summary="Download a finished export (streamed)",
            response_class=StreamingResponse, responses={
                200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                  "officedocument.spreadsheetml.sheet": {}}},
                **problems(*AUTHED, 404, 409)})
async def download_export(ctx: Ctx, actor: CurrentActor, export_id: uuid.UUID
                          ) -> StreamingResponse:
    export, chunks = await ctx.exports.download(actor, export_id)
    media = ("text/csv; charset=utf-8" if export.format == ExportFormat.CSV else
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return StreamingResponse(chunks, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="customers-{export.id}.'
        f'{export.format.value}"', "Content-Length": str(export.bytes)})

"""/exports: lists (customers, leads, opportunities, contracts) written to CSV or XLSX by a job in
the requester's language, and their download."""

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
from domain.exports.labels import Locale
from domain.exports.model import MAX_ACTIVE_PER_USER, Export, ExportFormat, ExportStatus
from domain.exports.sources import FILTERS, ExportObject
from domain.shared.text import current_locale

router = APIRouter(prefix="/exports", tags=["exports"])


def _filters_doc() -> str:
    others = "; ".join(f"{kind.value}: {', '.join(sorted(spec.keys))}"
                       for kind, spec in FILTERS.items())
    return (f"The list's filters. For customers: {FILTER_DOC} For the others, the keys of their "
            f"list's filters ({others}).")


class ExportCreate(Input):
    object: ExportObject = Field(ExportObject.CUSTOMER, description="Which list to export")
    format: ExportFormat = ExportFormat.CSV
    filter: dict[str, Any] | None = Field(None, description=_filters_doc(),
                                          examples=[FILTER_EXAMPLE])
    segment_id: uuid.UUID | None = Field(None, description="Export a saved customer segment "
                                         "instead")
    reveal: bool = Field(False, description="Cleartext personal data (pii:reveal; audited)")

    def command(self, locale: Locale) -> CreateExport:
        """A segment's export ignores `filter`; otherwise the filter is read here, naming the
        bad field (filter.x) as the list does."""
        if self.object != ExportObject.CUSTOMER:
            FILTERS[self.object].parse(self.filter or {})
            return CreateExport(format=self.format, segment_id=self.segment_id,
                                reveal=self.reveal, object=self.object,
                                list_filter=self.filter or {}, locale=locale)
        flt = filter_from_dict(self.filter or {}) if self.segment_id is None else None
        return CreateExport(format=self.format, filter=flt, segment_id=self.segment_id,
                            reveal=self.reveal, locale=locale)


class ExportOut(BaseModel):
    id: uuid.UUID
    object: ExportObject
    locale: Locale = Field(description="The language of the header row and the labels")
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
        return cls(id=e.id, object=ExportObject(e.object), locale=Locale(e.locale),
                   format=e.format, status=e.status, error=e.error,
                   rows_written=e.rows_written, bytes=e.bytes, reveal=e.reveal,
                   filter=e.filter, created_at=e.created_at, finished_at=e.finished_at,
                   download=f"/api/v1/exports/{e.id}/download"
                   if e.status == ExportStatus.DONE else None)


@router.post("", response_model=ExportOut, status_code=202,
             summary="Export a whole filtered list (customers, leads, opportunities, contracts) "
             "as CSV or XLSX; runs as a job",
             description="Every record of the list that matches, not only a page. The header "
             "row and coded values (statuses, sources, grades) are written as labels in the "
             "caller's language (the saved one, else Accept-Language, else the "
             "organisation's); owners and "
             "stages by name. Personal data is masked unless `reveal`. One user has at most "
             f"{MAX_ACTIVE_PER_USER} exports waiting or running at once; one more answers 429 "
             "until one of them finishes.",
             responses=problems(*AUTHED, 404, 429))
async def create_export(ctx: Ctx, actor: CurrentActor, body: ExportCreate) -> ExportOut:
    # The file speaks the caller's language: saved, else Accept-Language, else the
    # organisation's (set for the request by the middleware and the caller's lookup).
    return ExportOut.of(await ctx.exports.create(actor, body.command(Locale(current_locale()))))


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
        "Content-Disposition": f'attachment; filename="{export.object}s-{export.id}.'
        f'{export.format.value}"', "Content-Length": str(export.bytes)})

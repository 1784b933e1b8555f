"""Endpoints: JSON, CSV and Excel exports (streamed).

``GET /analytics/export`` reads through the caller's workspace-scoped connection (row-level
security decides the workspace) and streams the export as it is read from a server-side cursor.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.formats import (
    EXCEL_MEDIA_TYPE,
    ExportFormat,
    export_chunks,
    file_name,
    media_type,
    prepare,
)
from dagster_project.exports.reader import ExportReport
from dagster_project.exports.tables import EXPORT_TABLES
from dagster_project.serving.deps import WorkspaceConnection
from dagster_project.serving.models_reads import ContentId, Platform, Timeframe
from dagster_project.serving.responses import UNAUTHORISED

router = APIRouter(prefix="/analytics", tags=["exports"])

ExportTableName = StrEnum("ExportTableName", {t.name: t.name for t in EXPORT_TABLES})  # type: ignore[misc]
MAX_CONTENT_IDS = 500

_FILES = {
    "application/json": {},
    "text/csv": {},
    "application/zip": {},
    EXCEL_MEDIA_TYPE: {},
}


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "The export as an attachment: one JSON document {metadata, tables}, a CSV file (one "
                "table) or a zip of CSV files, or an Excel workbook."
            ),
            "content": _FILES,
        },
        **UNAUTHORISED,
        404: {"description": "None of the requested tables exists yet."},
    },
)
def export_analytics_data(
    conn: WorkspaceConnection,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
    timeframe: Timeframe = Timeframe.D30,
    platform: Annotated[list[Platform], Query()] = [],  # noqa: B006  (FastAPI copies defaults)
    content_id: Annotated[list[ContentId], Query(max_length=MAX_CONTENT_IDS)] = [],  # noqa: B006
    table: Annotated[list[ExportTableName], Query()] = [],  # noqa: B006
) -> StreamingResponse:
    """Analytics tables of the caller's workspace over the timeframe ending on the latest day they
    hold, filtered by platform and content where a table has those columns (the metadata says
    which filters applied to each table); all tables unless ``table`` names some."""
    try:
        filters = ExportFilters(
            timeframe=timeframe,
            platforms=tuple(p.value for p in platform),
            content_ids=tuple(content_id),
        )
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    filters, tables = prepare(conn, filters, tuple(t.value for t in table))
    if not tables:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "none of the requested tables exists yet")
    chunks = export_chunks(conn, export_format, filters, tables, ExportReport(), dt.datetime.now(dt.UTC))
    name = file_name(export_format, filters, tables)
    return StreamingResponse(
        chunks,
        media_type=media_type(export_format, tables),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

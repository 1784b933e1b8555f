"""What every export says about itself: when it was made, its filters, and per table the
source relation and the filters that applied to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.tables import ExportTable


def export_metadata(
    filters: ExportFilters, tables: tuple[ExportTable, ...], generated_at: dt.datetime
) -> dict[str, Any]:
    return {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        **filters.describe(),
        "tables": {
            t.name: {"source": t.source, "filters_applied": t.applied_filters(filters) or ["none"]}
            for t in tables
        },
    }

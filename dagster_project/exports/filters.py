"""What an export covers: a trailing timeframe ending on ``as_of``, platforms, content items and,
outside the API (which scopes by row-level security), a workspace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from dagster_project.ingest.schema import PLATFORMS
from dagster_project.serving.models_reads import Timeframe


@dataclass(frozen=True)
class ExportFilters:
    """``timeframe``: the API's timeframes (their names are accepted); ``as_of`` None: the latest
    day the exported tables hold (see ``reader.resolve_as_of``). Empty ``platforms`` /
    ``content_ids``: all of them."""

    timeframe: Timeframe = Timeframe.D30
    platforms: tuple[str, ...] = ()
    content_ids: tuple[str, ...] = ()
    workspace_id: str | None = None
    as_of: dt.date | None = None

    def __post_init__(self) -> None:
        if self.timeframe not in set(Timeframe):
            raise ValueError(f"unknown timeframe {self.timeframe!r}: use one of {', '.join(Timeframe)}")
        object.__setattr__(self, "timeframe", Timeframe(self.timeframe))
        unknown = sorted(set(self.platforms) - set(PLATFORMS))
        if unknown:
            raise ValueError(f"unknown platform {', '.join(unknown)}: use one of {', '.join(PLATFORMS)}")
        object.__setattr__(self, "platforms", tuple(sorted(set(self.platforms))))
        object.__setattr__(self, "content_ids", tuple(sorted(set(self.content_ids))))

    def on(self, as_of: dt.date) -> ExportFilters:
        return replace(self, as_of=as_of)

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """[start, end] of the timeframe (both inclusive)."""
        if self.as_of is None:
            raise ValueError("the export's as_of day is not resolved yet")
        return self.timeframe.window(self.as_of)

    def describe(self) -> dict[str, Any]:
        start, end = self.window
        return {
            "timeframe": self.timeframe.value,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "platforms": list(self.platforms) or "all",
            "content_ids": list(self.content_ids) or "all",
            "workspace_id": self.workspace_id or "all visible",
        }

"""What an export covers: a trailing timeframe ending on ``as_of``, platforms, content items and,
outside the API (which scopes by row-level security), a workspace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from dagster_project.ingest.schema import PLATFORMS

Timeframe = Literal["7d", "30d", "90d", "1y"]
TIMEFRAME_DAYS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


@dataclass(frozen=True)
class ExportFilters:
    """``as_of`` None: the latest metric day the connection can see (see ``reader.resolve_as_of``).
    Empty ``platforms`` / ``content_ids``: all of them."""

    timeframe: Timeframe = "30d"
    platforms: tuple[str, ...] = ()
    content_ids: tuple[str, ...] = ()
    workspace_id: str | None = None
    as_of: dt.date | None = None

    def __post_init__(self) -> None:
        if self.timeframe not in get_args(Timeframe):
            raise ValueError(f"unknown timeframe {self.timeframe!r}: use one of {', '.join(TIMEFRAME_DAYS)}")
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
        return self.as_of - dt.timedelta(days=TIMEFRAME_DAYS[self.timeframe] - 1), self.as_of

    def describe(self) -> dict[str, Any]:
        start, end = self.window
        return {
            "timeframe": self.timeframe,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "platforms": list(self.platforms) or "all",
            "content_ids": list(self.content_ids) or "all",
            "workspace_id": self.workspace_id or "all visible",
        }

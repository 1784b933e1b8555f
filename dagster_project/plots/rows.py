"""Reading result rows as the figures need them, whether they come from an asset (JSON columns
still wrapped for psycopg) or from the database (JSON columns already parsed)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from psycopg.types.json import Json, Jsonb


def plain_json(value: Any) -> Any:
    """A JSON column as plain lists, dicts, strings and numbers (dates as ISO text)."""
    if isinstance(value, Json | Jsonb):
        return json.loads((value.dumps or json.dumps)(value.obj))
    if isinstance(value, str):
        return json.loads(value)
    return value


def as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def as_float(value: float | None) -> float:
    """A number for plotting: NaN where there is none (matplotlib leaves a gap)."""
    return math.nan if value is None else float(value)

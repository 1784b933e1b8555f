"""Database values as each format writes them (pure)."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import orjson
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXCEL_MAX_CELL_CHARACTERS = 32_767


def _default(value: Any) -> Any:
    """What orjson cannot serialise itself (numeric columns arrive as Decimal)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):  # for the standard library's encoder (orjson knows dates)
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__} as JSON")


def json_bytes(value: Any) -> bytes:
    """Compact JSON. orjson refuses integers beyond 64 bits, which jsonb returns for large numbers
    stored without a fraction (1.4e24 reads back as an integer): such values go through the
    standard library's encoder instead."""
    try:
        return orjson.dumps(value, default=_default)
    except TypeError:
        return json.dumps(value, default=_default, separators=(",", ":"), allow_nan=False).encode()


def json_text(value: Any) -> str:
    return json_bytes(value).decode()


def csv_text(value: Any) -> str:
    """A CSV cell: empty for NULL, ISO dates, true/false, JSON for JSON and array columns."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json_text(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return str(value)


def excel_value(value: Any) -> tuple[Any, bool]:
    """A cell value Excel can hold, and whether text had to be cut to Excel's cell limit.

    Excel has no time zones (timestamps become naive UTC), no NaN or infinity (written as text),
    and refuses control characters (dropped)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None), False
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value), False
    if isinstance(value, dict | list):
        value = json_text(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_MAX_CELL_CHARACTERS:
            return value[: EXCEL_MAX_CELL_CHARACTERS - 1] + "…", True
    return value, False

"""The published reference values: a copy of ../shared/data/stats_reference.json kept in the repo,
so the tests run in any checkout."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "stats_reference.json"


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE_PATH.read_text())


def items() -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in reference()["items"]}


def disagreements() -> list[dict[str, Any]]:
    return list(reference()["disagreements"])

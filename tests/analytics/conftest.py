"""Pure statistics tests: no database and no dbt, so the suite-wide dbt parse is not needed."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """Overrides the suite-wide autouse fixture of the same name: these tests never load dbt."""

"""Resources shared by every domain: the warehouse connection, the landing zone and dbt."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.config import DBT_PROJECT_DIR, get_settings
from dagster_project.warehouse.database import resolve_database_url
from dagster_project.warehouse.dbt import dbt_executable


class PostgresResource(dg.ConfigurableResource):
    """The warehouse database: ``database_url`` when given, else DATABASE_URL / embedded server."""

    database_url: str | None = None

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return resolve_database_url(get_settings())


class LandingZoneResource(dg.ConfigurableResource):
    """Where landing files arrive: ``<path>/<platform>/<YYYY-MM-DD>/``."""

    path: str | None = None

    def directory(self) -> Path:
        return Path(self.path) if self.path else get_settings().LANDING_DIR


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            # An EnvVar, not its value: Dagster stores resource config in the job snapshot (run
            # storage, the UI's launchpad), which must not hold the URL's password.
            "warehouse": PostgresResource(
                database_url=dg.EnvVar("DATABASE_URL") if os.environ.get("DATABASE_URL") else None
            ),
            "landing_zone": LandingZoneResource(path=dg.EnvVar("LANDING_DIR").get_value()),
            "dbt": DbtCliResource(
                project_dir=str(DBT_PROJECT_DIR),
                profiles_dir=str(DBT_PROJECT_DIR),
                dbt_executable=dbt_executable(),
            ),
        }
    )

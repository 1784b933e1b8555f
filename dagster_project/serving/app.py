"""The FastAPI application (``perf-analytics serve``): one router per concern."""

from __future__ import annotations

from fastapi import FastAPI

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.serving.cache import build_cache
from dagster_project.serving.deps import ConnectionSource
from dagster_project.warehouse.database import database_name


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    """Build the API for ``settings`` (the environment's settings by default)."""
    from dagster_project.serving import routes_admin, routes_exports, routes_reads, routes_tracking

    app = FastAPI(title="Content performance warehouse API", version="1.0.0")
    app.state.settings = settings or get_settings()
    app.state.connections = ConnectionSource.from_settings(app.state.settings)
    app.state.cache = build_cache(app.state.settings, database_name(app.state.connections.url))
    for module in (routes_tracking, routes_reads, routes_admin, routes_exports):
        app.include_router(module.router)
    return app

"""Configuration: environment profiles, analysis thresholds and per-platform settings.

Everything is read from the environment (or a ``.env`` file) through pydantic-settings;
``APP_ENV`` picks a profile (development / testing / production) whose defaults sit
below explicit environment variables.  Per-platform settings live in the version-controlled
seed ``dbt_project/seeds/platforms.csv`` so dbt models and Python read the same values.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PLATFORMS_SEED = DBT_PROJECT_DIR / "seeds" / "platforms.csv"

Environment = Literal["development", "testing", "production"]


class AnalyticsSettings(BaseSettings):
    """Settings shared by the CLI, Dagster definitions, dbt profile and API."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    APP_ENV: Environment = "development"

    # Storage
    DATABASE_URL: SecretStr | None = Field(
        default=None, description="Postgres URL; unset -> embedded server under DATA_DIR."
    )
    DATA_DIR: Path = PROJECT_ROOT / ".data"
    LANDING_DIR: Path = PROJECT_ROOT / "landing"
    DB_POOL_SIZE: int = 5
    # Steps retry transient database errors (connection lost, server restarting, deadlock,
    # serialization failure) this many times, waiting base * 2^attempt seconds in between.
    DB_RETRY_ATTEMPTS: int = Field(default=3, ge=0)
    DB_RETRY_BASE_SECONDS: float = Field(default=5.0, ge=0)
    REDIS_URL: SecretStr | None = None

    # Ingestion
    DEFAULT_WORKSPACE_ID: str = "default"
    LATE_ARRIVAL_DAYS: int = Field(
        default=7,
        ge=0,
        description="Snapshots may describe up to this many days before the landing day.",
    )
    FUTURE_TOLERANCE_MINUTES: int = Field(
        default=60, ge=0, description="captured_at may exceed the landing day's end by this much."
    )
    INGEST_CHUNK_ROWS: int = Field(default=200_000, gt=0)

    # Analysis thresholds (seed names)
    CACHE_TTL_SECONDS: int = 300
    MIN_DATA_POINTS_FOR_ANALYSIS: int = 10
    CORRELATION_SIGNIFICANCE_THRESHOLD: float = 0.05
    LOW_PERFORMANCE_THRESHOLD: float = 2.5
    HIGH_PERFORMANCE_THRESHOLD: float = 7.5
    ANALYSIS_WINDOW_DAYS: int = Field(
        default=90, gt=0, description="Trailing window (days of publishing) each daily analysis covers."
    )
    MIN_ITEMS_PER_CREATOR: int = Field(
        default=5, ge=2, description="Items a creator needs to enter the within-creator analysis scope."
    )

    # Retention (days)
    ENGAGEMENT_DATA_RETENTION_DAYS: int = Field(default=365, ge=1)
    HISTORY_RETENTION_DAYS: int = Field(default=730, ge=1)
    RESULTS_RETENTION_DAYS: int = Field(default=180, ge=1)
    REJECTED_RETENTION_DAYS: int = Field(default=90, ge=1)

    # Orchestration
    DAILY_SCHEDULE_HOUR: int = Field(default=2, ge=0, le=23)
    PARTITIONS_START_DATE: dt.date = dt.date(2025, 1, 1)

    @property
    def embedded(self) -> bool:
        return self.DATABASE_URL is None


# Profile defaults: applied only where the environment does not set a value.
PROFILE_DEFAULTS: dict[Environment, dict[str, Any]] = {
    "development": {},
    "testing": {"CACHE_TTL_SECONDS": 1, "MIN_DATA_POINTS_FOR_ANALYSIS": 5, "DB_POOL_SIZE": 2},
    "production": {"CACHE_TTL_SECONDS": 600, "DB_POOL_SIZE": 20},
}


def get_config_for_environment(environment: Environment | None = None) -> AnalyticsSettings:
    """Settings for a profile: profile defaults below environment variables (seed API)."""
    base = AnalyticsSettings()
    env = environment or base.APP_ENV
    explicit = base.model_fields_set
    overrides = {k: v for k, v in PROFILE_DEFAULTS[env].items() if k not in explicit}
    return base.model_copy(update={"APP_ENV": env, **overrides})


@cache
def get_settings() -> AnalyticsSettings:
    """Process-wide settings for the current ``APP_ENV`` (read once, on first use)."""
    return get_config_for_environment()


@dataclass(frozen=True)
class PlatformConfig:
    platform: str
    display_name: str
    reporting_timezone: ZoneInfo
    update_frequency_minutes: int
    benchmark_engagement_rate: float
    engagement_rate_formula: str
    has_impressions: bool
    has_reach: bool
    has_saves: bool
    has_watch_time: bool

    def __getitem__(self, key: str) -> Any:
        """Dict-style access, as the seed's ``get_platform_config(...)['...']`` reads it."""
        return getattr(self, key)


def _parse_bool(text: str) -> bool:
    return text.strip().lower() in {"true", "1", "yes"}


@cache
def platform_configs(seed_path: Path = PLATFORMS_SEED) -> dict[str, PlatformConfig]:
    """Per-platform settings from the dbt seed, keyed by platform name."""
    with seed_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["platform"]: PlatformConfig(
            platform=row["platform"],
            display_name=row["display_name"],
            reporting_timezone=ZoneInfo(row["reporting_timezone"]),
            update_frequency_minutes=int(row["update_frequency_minutes"]),
            benchmark_engagement_rate=float(row["benchmark_engagement_rate"]),
            engagement_rate_formula=row["engagement_rate_formula"],
            has_impressions=_parse_bool(row["has_impressions"]),
            has_reach=_parse_bool(row["has_reach"]),
            has_saves=_parse_bool(row["has_saves"]),
            has_watch_time=_parse_bool(row["has_watch_time"]),
        )
        for row in rows
    }


def get_platform_config(platform: str) -> PlatformConfig:
    """Settings of one platform; ``KeyError`` names the known platforms."""
    configs = platform_configs()
    if platform not in configs:
        raise KeyError(f"unknown platform {platform!r}; known: {', '.join(sorted(configs))}")
    return configs[platform]

"""Configuration profiles and per-platform settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dagster_project.config import (
    AnalyticsSettings,
    get_config_for_environment,
    get_platform_config,
    platform_configs,
)
from dagster_project.ingest.schema import PLATFORMS
from dagster_project.warehouse.database import redact_password


def test_defaults_match_the_seed_names():
    settings = AnalyticsSettings(_env_file=None)
    assert (settings.LOW_PERFORMANCE_THRESHOLD, settings.HIGH_PERFORMANCE_THRESHOLD) == (2.5, 7.5)
    assert settings.CORRELATION_SIGNIFICANCE_THRESHOLD == 0.05
    assert settings.MIN_DATA_POINTS_FOR_ANALYSIS == 10


def test_profiles_apply_below_explicit_environment(monkeypatch):
    monkeypatch.delenv("CACHE_TTL_SECONDS", raising=False)
    assert get_config_for_environment("production").CACHE_TTL_SECONDS == 600
    assert get_config_for_environment("testing").CACHE_TTL_SECONDS == 1
    monkeypatch.setenv("CACHE_TTL_SECONDS", "42")
    assert get_config_for_environment("production").CACHE_TTL_SECONDS == 42


def test_every_platform_has_config_from_the_seed():
    configs = platform_configs()
    assert tuple(configs) == PLATFORMS
    youtube = get_platform_config("youtube")
    assert youtube["benchmark_engagement_rate"] == pytest.approx(0.035)
    assert youtube.reporting_timezone == ZoneInfo("America/Los_Angeles")
    assert get_platform_config("tiktok").update_frequency_minutes == 30


def test_unknown_platform_names_the_known_ones():
    with pytest.raises(KeyError, match="youtube"):
        get_platform_config("myspace")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%40ss@h:5432/db?sslmode=require", "postgresql://u:***@h:5432/db?sslmode=require"),
        ("postgresql://u@h/db?password=s3cr3t&sslmode=x", "postgresql://u@h/db?password=***&sslmode=x"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"),
        ("postgresql://postgres:@/postgres?host=/x/pg", "postgresql://postgres:@/postgres?host=/x/pg"),
    ],
)
def test_printed_urls_hide_the_password(url, shown):
    assert redact_password(url) == shown

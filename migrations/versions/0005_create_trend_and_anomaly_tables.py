"""Time-series result tables in schema ``analytics``: trend analyses (with seasonality, change
points, volatility and forecasts) and the anomalies they found.

One series is a daily metric (views or interactions per day) of a content item, of an account
(creator) on a platform, or of a whole platform, within a workspace, over the trailing window
ending on ``analysis_date``. As in 0004: an asset run replaces one ``analysis_date`` in one
transaction, numbers that could not be computed are NULL (never NaN), and BI readers see their
workspaces only (row-level security).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WRITER = "perf_writer"
READER = "perf_reader"


# Column checks, as in 0004 (migrations are frozen DDL, so they keep their own copy).
def _finite(column: str) -> str:
    return f"check ({column} > '-Infinity' and {column} < 'Infinity')"


def _non_negative(column: str) -> str:
    return f"check ({column} >= 0 and {column} < 'Infinity')"


def _unit(column: str) -> str:
    return f"check ({column} between 0 and 1)"


def _one_of(column: str, *values: str) -> str:
    return f"check ({column} in ({', '.join(repr(v) for v in values)}))"


LEVELS = ("content", "account", "platform")
DIRECTIONS = ("rising", "falling", "stable", "cyclical", "insufficient_data")
STRENGTHS = ("negligible", "weak", "moderate", "strong", "insufficient data")
VOLATILITY = ("consistent", "variable", "erratic", "insufficient_data")
SERIES_KEY = f"""
            analysis_date date not null,
            workspace_id text not null,
            series_level text not null {_one_of("series_level", *LEVELS)},
            platform text not null,
            series_id text not null,
            metric text not null,"""

TABLES: dict[str, str] = {
    "trend_analysis_results": f"""
        create table analytics.trend_analysis_results ({SERIES_KEY}
            window_start date not null,
            window_end date not null,
            days_in_window integer not null check (days_in_window >= 0),
            observed_days integer not null check (observed_days >= 0),
            overall_direction text not null {_one_of("overall_direction", *DIRECTIONS)},
            strength text not null {_one_of("strength", *STRENGTHS)},
            slope double precision {_finite("slope")},
            slope_ci_lower double precision {_finite("slope_ci_lower")},
            slope_ci_upper double precision {_finite("slope_ci_upper")},
            level double precision {_finite("level")},
            relative_change double precision {_finite("relative_change")},
            r_squared double precision {_unit("r_squared")},
            p_value double precision {_unit("p_value")},
            significance_level double precision not null
                check (significance_level > 0 and significance_level < 1),
            weekly_seasonal_strength double precision {_unit("weekly_seasonal_strength")},
            peak_weekday text,
            seasonality_patterns jsonb not null,
            change_point_count integer not null check (change_point_count >= 0),
            change_points jsonb not null,
            last_change_date date,
            volatility text not null {_one_of("volatility", *VOLATILITY)},
            coefficient_of_variation double precision {_non_negative("coefficient_of_variation")},
            anomaly_count integer not null check (anomaly_count >= 0),
            forecast_model text,
            forecast_horizon integer check (forecast_horizon >= 0),
            forecast_total double precision {_non_negative("forecast_total")},
            forecast_total_lower_95 double precision {_non_negative("forecast_total_lower_95")},
            forecast_total_upper_95 double precision {_non_negative("forecast_total_upper_95")},
            predictions jsonb not null,
            backtest_mase double precision {_non_negative("backtest_mase")},
            backtest_coverage_80 double precision {_unit("backtest_coverage_80")},
            backtest_coverage_95 double precision {_unit("backtest_coverage_95")},
            trend_points jsonb not null,
            key_insights jsonb not null,
            statistical_metrics jsonb not null,
            insufficient_data boolean not null,
            insufficient_reason text,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (analysis_date, workspace_id, series_level, platform, series_id, metric),
            check (insufficient_data = (insufficient_reason is not null)),
            check (insufficient_data = (overall_direction = 'insufficient_data')),
            check (forecast_total_lower_95 <= forecast_total and forecast_total <= forecast_total_upper_95),
            check (window_start <= window_end and window_end = analysis_date)
        )
    """,
    "performance_anomalies": f"""
        create table analytics.performance_anomalies ({SERIES_KEY}
            anomaly_date date not null,
            value double precision not null {_finite("value")},
            expected double precision not null {_finite("expected")},
            score double precision not null {_finite("score")},
            direction text not null {_one_of("direction", "spike", "drop")},
            method text not null {_one_of("method", "robust_zscore", "zscore")},
            threshold double precision not null check (threshold > 0 and threshold < 'Infinity'),
            seasonally_adjusted boolean not null,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (
                analysis_date, workspace_id, series_level, platform, series_id, metric, anomaly_date
            ),
            check (anomaly_date <= analysis_date),
            check (abs(score) >= threshold)
        )
    """,
}

TABLE_COMMENTS = {
    "trend_analysis_results": (
        "The seed's TrendAnalysis of each daily series (content item, account or platform; views or "
        "interactions per day) over the trailing window ending on analysis_date: Mann-Kendall/Sen trend, "
        "weekly and monthly seasonality, PELT change points, volatility, anomaly count and a forecast "
        "chosen by rolling-origin backtest, with 80% and 95% prediction intervals."
    ),
    "performance_anomalies": (
        "Unusual days found in each series' trailing window as of analysis_date: the value, the value "
        "expected for that day, the score and the threshold it exceeded."
    ),
}

_SERIES = {
    "analysis_date": "Dagster partition day: the last day of the analysed window.",
    "workspace_id": "Tenant; row-level security filters BI readers on it.",
    "series_level": "content (one item), account (a creator's items on a platform) or platform (all items).",
    "platform": "Platform of the series.",
    "series_id": "content_id (content), creator_id (account) or the platform name (platform).",
    "metric": "daily_views or daily_interactions (likes + comments + shares + saves per day).",
    "run_id": "Dagster run that wrote the row.",
    "computed_at": "When the row was written.",
}

COLUMN_COMMENTS: dict[str, dict[str, str]] = {
    "trend_analysis_results": {
        **_SERIES,
        "window_start": "First day of the analysed window (platform-local metric days).",
        "window_end": "Last day of the analysed window (= analysis_date).",
        "days_in_window": "Days from the first observation in the window to window_end.",
        "observed_days": "Days with a value (days after a gap share the gap's delta evenly).",
        "overall_direction": (
            "rising/falling: significant Mann-Kendall trend (autocorrelation-corrected) that moved the level "
            "at least 5%; cyclical: no trend but a strong weekly cycle; stable otherwise."
        ),
        "strength": "Strength of the trend from its relative change and R squared.",
        "slope": "Sen's slope per day, in metric units.",
        "slope_ci_lower": "Lower bound of Sen's slope confidence interval.",
        "slope_ci_upper": "Upper bound of Sen's slope confidence interval.",
        "level": "Mean absolute level of the series in the window.",
        "relative_change": "Sen's slope times the window length over the level: the share the level moved.",
        "r_squared": "R squared of an OLS line on time.",
        "p_value": "Mann-Kendall p-value after the autocorrelation correction.",
        "significance_level": "CORRELATION_SIGNIFICANCE_THRESHOLD the direction was decided at.",
        "weekly_seasonal_strength": "STL seasonal strength F_s of the weekly cycle (0..1).",
        "peak_weekday": "Weekday with the highest weekly component (when seasonal).",
        "seasonality_patterns": (
            "Every period assessed (weekly, monthly): strength, profile, peak and trough."
        ),
        "change_point_count": "Level shifts found by PELT.",
        "change_points": "Each level shift: date, level before and after, size and relative size.",
        "last_change_date": "First day of the latest new level.",
        "volatility": "consistent / variable / erratic from the coefficient of variation of daily values.",
        "coefficient_of_variation": "Standard deviation over mean of the daily values.",
        "anomaly_count": "Unusual days in the window (rows in performance_anomalies).",
        "forecast_model": "Model chosen by rolling-origin backtest (or age_curve for young content).",
        "forecast_horizon": "Days forecast after analysis_date.",
        "forecast_total": "Median forecast of the metric summed over the horizon.",
        "forecast_total_lower_95": "Lower bound of the 95% prediction interval of that sum.",
        "forecast_total_upper_95": "Upper bound of the 95% prediction interval of that sum.",
        "predictions": "Per forecast day: date, median, 80% and 95% prediction intervals.",
        "backtest_mase": "Backtest MAE of the chosen model over the seasonal naive in-sample MAE.",
        "backtest_coverage_80": "Share of backtest actuals inside the 80% intervals.",
        "backtest_coverage_95": "Share of backtest actuals inside the 95% intervals.",
        "trend_points": "Per day: date, value, Sen trend-line value and anomaly score.",
        "key_insights": "Findings in sentences.",
        "statistical_metrics": "The seed's statistical_metrics (r_squared, slope, p_value, ...).",
        "insufficient_data": "True when the series was too short or empty to analyse.",
        "insufficient_reason": "Why (NULL when analysed).",
    },
    "performance_anomalies": {
        **_SERIES,
        "anomaly_date": "The unusual day.",
        "value": "The metric on that day.",
        "expected": "The value expected for that day (level, trend and weekday pattern).",
        "score": "Robust z-score ((adjusted - median) / (1.4826 MAD)) or plain z-score.",
        "direction": "spike (above expected) or drop (below).",
        "method": "robust_zscore (default) or zscore (the seed's plain z-score).",
        "threshold": "Absolute score the day exceeded.",
        "seasonally_adjusted": "Whether the weekday pattern was removed before scoring.",
    },
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for table, ddl in TABLES.items():
        qualified = f"analytics.{table}"
        op.execute(ddl)
        op.execute(f"comment on table {qualified} is {_quote(TABLE_COMMENTS[table])}")
        for column, comment in COLUMN_COMMENTS[table].items():
            op.execute(f"comment on column {qualified}.{column} is {_quote(comment)}")
        op.execute(f"grant select, insert, update, delete on {qualified} to {WRITER}")
        op.execute(f"grant select on {qualified} to {READER}")
        op.execute(f"alter table {qualified} enable row level security")
        op.execute(
            f"create policy reader_workspace on {qualified} for select to {READER} "
            "using (workspace_id in (select raw.current_workspaces()))"
        )
    op.execute(
        "create index performance_anomalies_recent on analytics.performance_anomalies "
        "(workspace_id, anomaly_date desc)"
    )


def downgrade() -> None:
    op.execute("drop index analytics.performance_anomalies_recent")
    for table in reversed(TABLES):
        qualified = f"analytics.{table}"
        op.execute(f"drop policy reader_workspace on {qualified}")
        op.execute(f"alter table {qualified} disable row level security")
        op.execute(f"revoke all on {qualified} from {WRITER}, {READER}")
        op.execute(f"drop table {qualified}")

"""Analysis result tables in schema ``analytics``: feature-metric correlations, feature importance,
platform comparisons, declared A/B experiments and their daily evaluation.

Every result row carries ``analysis_date`` (the Dagster partition day whose trailing window was
analysed) and ``workspace_id``; an asset run deletes and re-inserts one ``analysis_date`` in one
transaction, so a re-run replaces the day. Numbers that could not be computed are NULL, never
NaN (checks below), and such rows say why in ``insufficient_reason``.

Row-level security as in 0002: BI readers (``perf_reader``) see the workspaces mapped to their
login in ``raw.workspace_access``; the pipeline (``perf_writer``, BYPASSRLS) writes.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WRITER = "perf_writer"
READER = "perf_reader"


# Column checks. NaN compares greater than every number in Postgres, so each of these refuses
# NaN (and infinities); NULL passes.
def _finite(column: str) -> str:
    return f"check ({column} > '-Infinity' and {column} < 'Infinity')"


def _non_negative(column: str) -> str:
    return f"check ({column} >= 0 and {column} < 'Infinity')"


def _unit(column: str, low: int = 0) -> str:
    return f"check ({column} between {low} and 1)"


def _open_unit(column: str) -> str:
    return f"check ({column} > 0 and {column} < 1)"


def _one_of(column: str, *values: str) -> str:
    return f"check ({column} in ({', '.join(repr(v) for v in values)}))"


VERDICTS = (
    "too_early",
    "insufficient_data",
    "sample_ratio_mismatch",
    "treatment_better",
    "treatment_worse",
    "inconclusive",
)
METHODS = ("pearson", "spearman", "point_biserial", "anova", "welch_anova", "kruskal")
STRENGTHS = ("negligible", "weak", "moderate", "strong", "insufficient data")
TRANSFORMS = ("identity", "log1p")

TABLES: dict[str, str] = {
    "experiments": f"""
        create table analytics.experiments (
            workspace_id text not null,
            experiment_id text not null,
            platform text not null,
            content_id text not null,
            variant text not null,
            is_control boolean not null,
            start_date date not null,
            end_date date not null,
            primary_metric text not null,
            metric_kind text not null {_one_of("metric_kind", "mean", "rate")},
            metric_age_days integer not null default 7 check (metric_age_days >= 0),
            planned_sample_size_per_variant integer check (planned_sample_size_per_variant > 0),
            allocation double precision check (allocation > 0 and allocation < 'Infinity'),
            target_relative_lift double precision not null default 0.05
                check (target_relative_lift > 0 and target_relative_lift < 'Infinity'),
            higher_is_better boolean not null default true,
            source_file text not null,
            loaded_at timestamptz not null default now(),
            primary key (workspace_id, experiment_id, platform, content_id),
            check (end_date >= start_date)
        )
    """,
    "correlation_analysis_results": f"""
        create table analytics.correlation_analysis_results (
            analysis_date date not null,
            workspace_id text not null,
            scope text not null,
            feature text not null,
            metric text not null,
            method text not null {_one_of("method", *METHODS)},
            feature_kind text not null {_one_of("feature_kind", "continuous", "binary", "categorical")},
            metric_source text not null,
            metric_transform text not null {_one_of("metric_transform", *TRANSFORMS)},
            metric_adjustment text not null
                {_one_of("metric_adjustment", "none", "centred_within_platform", "centred_within_creator")},
            metric_age_days integer not null,
            correlation_coefficient double precision {_unit("correlation_coefficient", -1)},
            p_value double precision {_unit("p_value")},
            adjusted_p_value double precision {_unit("adjusted_p_value")},
            strength text not null {_one_of("strength", *STRENGTHS)},
            direction text {_one_of("direction", "positive", "negative", "none")},
            significance_level double precision not null {_open_unit("significance_level")},
            is_significant boolean not null,
            sample_size integer not null check (sample_size >= 0),
            confidence_interval_lower double precision {_unit("confidence_interval_lower", -1)},
            confidence_interval_upper double precision {_unit("confidence_interval_upper", -1)},
            test_statistic double precision {_finite("test_statistic")},
            degrees_of_freedom double precision {_non_negative("degrees_of_freedom")},
            degrees_of_freedom_within double precision {_non_negative("degrees_of_freedom_within")},
            effect_size double precision {_unit("effect_size")},
            effect_size_name text {_one_of("effect_size_name", "eta_squared", "epsilon_squared")},
            level_summaries jsonb,
            dropped_levels jsonb,
            insufficient_data boolean not null,
            insufficient_reason text,
            interpretation text not null,
            window_start date not null,
            window_end date not null,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (analysis_date, workspace_id, scope, feature, metric, method),
            check (insufficient_data = (insufficient_reason is not null)),
            check (
                not insufficient_data
                or (p_value is null and adjusted_p_value is null and correlation_coefficient is null
                    and effect_size is null)
            ),
            check (insufficient_data or p_value is not null),
            check (not (is_significant and insufficient_data)),
            check (window_start <= window_end and window_end = analysis_date)
        )
    """,
    "feature_importance_results": f"""
        create table analytics.feature_importance_results (
            analysis_date date not null,
            workspace_id text not null,
            scope text not null,
            metric text not null,
            feature text not null,
            metric_source text not null,
            metric_transform text not null {_one_of("metric_transform", *TRANSFORMS)},
            metric_age_days integer not null,
            standardised_within text {_one_of("standardised_within", "platform", "creator")},
            coefficient double precision {_finite("coefficient")},
            ci_lower double precision {_finite("ci_lower")},
            ci_upper double precision {_finite("ci_upper")},
            importance double precision {_non_negative("importance")},
            rank integer check (rank >= 1),
            rank_ci_lower integer check (rank_ci_lower >= 1),
            rank_ci_upper integer check (rank_ci_upper >= 1),
            excludes_zero boolean,
            r_squared double precision check (r_squared <= 1),
            sample_size integer not null check (sample_size >= 0),
            bootstrap_resamples integer not null check (bootstrap_resamples >= 0),
            confidence double precision not null check (confidence > 0 and confidence < 1),
            excluded_reason text,
            insufficient_data boolean not null,
            insufficient_reason text,
            window_start date not null,
            window_end date not null,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (analysis_date, workspace_id, scope, metric, feature),
            check (insufficient_data = (insufficient_reason is not null)),
            check ((coefficient is null) = (insufficient_data or excluded_reason is not null)),
            check (window_start <= window_end and window_end = analysis_date)
        )
    """,
    "platform_comparison_results": f"""
        create table analytics.platform_comparison_results (
            analysis_date date not null,
            workspace_id text not null,
            comparison text not null
                {_one_of("comparison", "metric_by_platform", "feature_effect_by_platform")},
            feature text not null,
            metric text not null,
            method text not null,
            metric_source text not null,
            metric_transform text not null {_one_of("metric_transform", *TRANSFORMS)},
            metric_age_days integer not null,
            statistic double precision {_non_negative("statistic")},
            degrees_of_freedom double precision {_non_negative("degrees_of_freedom")},
            p_value double precision {_unit("p_value")},
            adjusted_p_value double precision {_unit("adjusted_p_value")},
            effect_size double precision {_unit("effect_size")},
            effect_size_name text check (effect_size_name = 'epsilon_squared'),
            strength text {_one_of("strength", *STRENGTHS)},
            significance_level double precision not null {_open_unit("significance_level")},
            is_significant boolean not null,
            sample_size integer not null check (sample_size >= 0),
            per_platform jsonb not null,
            pairwise jsonb not null,
            excluded_platforms jsonb not null,
            insufficient_data boolean not null,
            insufficient_reason text,
            interpretation text not null,
            window_start date not null,
            window_end date not null,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (analysis_date, workspace_id, comparison, feature, metric),
            check (insufficient_data = (insufficient_reason is not null)),
            check (not insufficient_data or (p_value is null and statistic is null)),
            check (insufficient_data or p_value is not null),
            check (not (is_significant and insufficient_data)),
            check (window_start <= window_end and window_end = analysis_date)
        )
    """,
    "ab_test_performance": f"""
        create table analytics.ab_test_performance (
            analysis_date date not null,
            workspace_id text not null,
            experiment_id text not null,
            variant text not null,
            is_control boolean not null,
            control_variant text not null,
            primary_metric text not null,
            metric_kind text not null {_one_of("metric_kind", "mean", "rate")},
            metric_age_days integer not null,
            start_date date not null,
            end_date date not null,
            planned_end date not null,
            horizon_reached boolean not null,
            significance_level double precision not null {_open_unit("significance_level")},
            declared_items integer not null check (declared_items >= 0),
            sample_size integer not null check (sample_size >= 0),
            expected_share double precision not null check (expected_share > 0 and expected_share <= 1),
            estimate double precision {_finite("estimate")},
            ci_lower double precision {_finite("ci_lower")},
            ci_upper double precision {_finite("ci_upper")},
            std double precision {_non_negative("std")},
            successes double precision {_non_negative("successes")},
            trials double precision {_non_negative("trials")},
            probability_best double precision {_unit("probability_best")},
            primary_test text,
            absolute_difference double precision {_finite("absolute_difference")},
            difference_ci_lower double precision {_finite("difference_ci_lower")},
            difference_ci_upper double precision {_finite("difference_ci_upper")},
            primary_statistic double precision {_finite("primary_statistic")},
            primary_p_value double precision {_unit("primary_p_value")},
            adjusted_p_value double precision {_unit("adjusted_p_value")},
            is_significant boolean not null,
            welch_t double precision {_finite("welch_t")},
            welch_df double precision {_non_negative("welch_df")},
            welch_p_value double precision {_unit("welch_p_value")},
            mann_whitney_u double precision {_non_negative("mann_whitney_u")},
            mann_whitney_p_value double precision {_unit("mann_whitney_p_value")},
            rank_biserial double precision {_unit("rank_biserial", -1)},
            relative_lift double precision {_finite("relative_lift")},
            lift_ci_lower double precision {_finite("lift_ci_lower")},
            lift_ci_upper double precision {_finite("lift_ci_upper")},
            minimum_detectable_lift double precision {_non_negative("minimum_detectable_lift")},
            achieved_power double precision {_unit("achieved_power")},
            srm_chi_square double precision {_non_negative("srm_chi_square")},
            srm_p_value double precision {_unit("srm_p_value")},
            sample_ratio_mismatch boolean not null,
            weekday_balance_p_value double precision {_unit("weekday_balance_p_value")},
            verdict text not null {_one_of("verdict", *VERDICTS)},
            verdict_text text not null,
            details jsonb not null,
            run_id text,
            computed_at timestamptz not null default now(),
            primary key (analysis_date, workspace_id, experiment_id, variant),
            check (planned_end > end_date and end_date >= start_date),
            check (horizon_reached = (analysis_date >= planned_end)),
            check (
                horizon_reached or (estimate is null and primary_p_value is null and relative_lift is null)
            ),
            check (not is_control or (primary_test is null and primary_p_value is null)),
            check (not is_significant or adjusted_p_value <= significance_level)
        )
    """,
}

TABLE_COMMENTS = {
    "experiments": (
        "A/B experiments declared as data (landing/_experiments/*.csv): one row per content item "
        "assigned to a variant. Experiment-level columns repeat on every row and must agree."
    ),
    "correlation_analysis_results": (
        "Feature vs performance associations per analysis day (trailing window of published content "
        "ending that day), workspace, scope, feature, metric and method; Benjamini-Hochberg within "
        "each (analysis day, workspace, scope). Associations, not causal effects."
    ),
    "feature_importance_results": (
        "Standardised OLS coefficients of the numeric and binary features per analysis day, workspace, "
        "scope and metric, with bootstrap intervals for each coefficient and for its rank."
    ),
    "platform_comparison_results": (
        "Platform differences per analysis day and workspace: metrics across platforms (Kruskal-Wallis "
        "with Holm-corrected pairwise Mann-Whitney tests) and feature effects that differ between "
        "platforms (Cochran Q on Fisher z of per-platform correlations)."
    ),
    "ab_test_performance": (
        "Fixed-horizon evaluation of each declared experiment on each analysis day: one row per "
        "variant, treatments compared with the control at the same content age. No estimate or "
        "comparison before planned_end (verdict too_early)."
    ),
}

_WINDOW = {
    "window_start": "First publish day of the analysed content (analysis_date - window_days + 1).",
    "window_end": "Last publish day of the analysed content (= analysis_date).",
    "run_id": "Dagster run that wrote the row.",
    "computed_at": "When the row was written.",
}
_METRIC = {
    "metric_source": "Column of marts.content_feature_analysis the metric comes from (e.g. views_day_7).",
    "metric_transform": "log1p for view counts (heavy-tailed), identity for engagement rates.",
    "metric_age_days": (
        "Content age (days after the platform-local publish day) the metric is taken at; only items at "
        "least this old on analysis_date are used, so older items do not look better for being older."
    ),
}

COLUMN_COMMENTS: dict[str, dict[str, str]] = {
    "experiments": {
        "workspace_id": "Tenant; row-level security filters BI readers on it.",
        "experiment_id": "Experiment identifier, unique within the workspace.",
        "platform": "Platform of the content item (content ids are unique per platform).",
        "content_id": "The content item assigned to the variant (the unit of the experiment).",
        "variant": "Variant the item was assigned to.",
        "is_control": "True for the control variant (exactly one per experiment).",
        "start_date": "First platform-local publish day of items in the experiment.",
        "end_date": (
            "Last publish day of items in the experiment; the verdict is due metric_age_days later "
            "(ab_test_performance.planned_end), when every item has reached the measured age."
        ),
        "primary_metric": (
            "Counter compared: views, likes, comments, shares, saves, watch_time_seconds, impressions, "
            "reach or interactions (mean kind), or likes, comments, shares, saves or interactions per "
            "view (rate kind)."
        ),
        "metric_kind": (
            "mean: per-item value at metric_age_days (Welch t); rate: per-item successes over views "
            "(delta-method z test, items as the unit)."
        ),
        "metric_age_days": "Age at which every item is measured (days after its publish day).",
        "planned_sample_size_per_variant": "Items each variant must reach for a verdict (NULL: no plan).",
        "allocation": "Planned share (weight) of the variant for the sample-ratio check; NULL: equal.",
        "target_relative_lift": "Smallest relative lift worth detecting (for the achieved power).",
        "higher_is_better": "Whether a larger primary metric is better.",
        "source_file": "Declaration file the row was loaded from.",
        "loaded_at": "When the declaration was loaded.",
    },
    "correlation_analysis_results": {
        "analysis_date": "Partition day: the analysis as of the end of this day.",
        "workspace_id": "Tenant; row-level security filters BI readers on it.",
        "scope": (
            "overall (all platforms, metric centred within platform), within_creator (metric centred "
            "within each creator with enough items) or a platform name (metric as is)."
        ),
        "feature": "Content feature (column of marts.content_feature_analysis or a derived one).",
        "metric": "Analysed metric, named with its transform (e.g. log1p_views_day_7).",
        "method": "pearson, spearman, point_biserial (binary), welch_anova/anova or kruskal (categorical).",
        "feature_kind": "continuous, binary or categorical.",
        **_METRIC,
        "metric_adjustment": "none, centred_within_platform or centred_within_creator (see scope).",
        "correlation_coefficient": "r (Pearson/point-biserial) or rho (Spearman); NULL for group tests.",
        "p_value": "Raw p-value of the test.",
        "adjusted_p_value": "Benjamini-Hochberg adjusted p over all tests of the day, workspace and scope.",
        "strength": "negligible, weak, moderate, strong (|r| or variance share) or 'insufficient data'.",
        "direction": "positive, negative or none for correlations; NULL for group tests.",
        "significance_level": "CORRELATION_SIGNIFICANCE_THRESHOLD the adjusted p is compared with.",
        "is_significant": "adjusted_p_value <= significance_level.",
        "sample_size": "Items with both the feature and the metric.",
        "confidence_interval_lower": "Lower end of the 95% Fisher-z interval of the coefficient.",
        "confidence_interval_upper": "Upper end of the 95% Fisher-z interval of the coefficient.",
        "test_statistic": "t of the correlation, F of the ANOVA or H of Kruskal-Wallis.",
        "degrees_of_freedom": "n - 2 for correlations; between-groups df for group tests.",
        "degrees_of_freedom_within": "Within-groups df of the ANOVA (Welch df for welch_anova).",
        "effect_size": "eta squared (ANOVA) or epsilon squared (Kruskal-Wallis); NULL for correlations.",
        "effect_size_name": "eta_squared or epsilon_squared.",
        "level_summaries": "Per-level n, mean with 95% t interval, sd and median (group tests).",
        "dropped_levels": "Levels left out for having too few items (group tests).",
        "insufficient_data": "True when no number is reported (too few items, constant feature ...).",
        "insufficient_reason": "Why the test could not be run.",
        "interpretation": "Strength, direction and uncertainty in words; never a causal claim.",
        **_WINDOW,
    },
    "feature_importance_results": {
        "analysis_date": "Partition day: the analysis as of the end of this day.",
        "workspace_id": "Tenant; row-level security filters BI readers on it.",
        "scope": "overall (z-scored within platform), within_creator (within creator) or a platform.",
        "metric": "Analysed metric, named with its transform (e.g. log1p_views_day_7).",
        "feature": "Numeric or binary content feature of the model.",
        **_METRIC,
        "standardised_within": "Groups every column was z-scored within (NULL: the whole scope).",
        "coefficient": "Standardised OLS coefficient: metric SDs per feature SD, other features fixed.",
        "ci_lower": "Lower end of the percentile bootstrap interval of the coefficient.",
        "ci_upper": "Upper end of the percentile bootstrap interval of the coefficient.",
        "importance": "|coefficient|.",
        "rank": "1 = largest importance in the model.",
        "rank_ci_lower": "Best rank in the bootstrap interval.",
        "rank_ci_upper": "Worst rank in the bootstrap interval.",
        "excludes_zero": "The coefficient's interval excludes zero.",
        "r_squared": "In-sample R squared of the model.",
        "sample_size": "Complete rows used by the model.",
        "bootstrap_resamples": "Bootstrap resamples behind the intervals.",
        "confidence": "Confidence level of the intervals.",
        "excluded_reason": "Why the feature was left out of the model (not numeric, constant).",
        "insufficient_data": "True when the model could not be fitted.",
        "insufficient_reason": "Why the model could not be fitted.",
        **_WINDOW,
    },
    "platform_comparison_results": {
        "analysis_date": "Partition day: the analysis as of the end of this day.",
        "workspace_id": "Tenant; row-level security filters BI readers on it.",
        "comparison": (
            "metric_by_platform: does the metric differ between platforms; feature_effect_by_platform: "
            "does the feature-metric correlation differ between platforms."
        ),
        "feature": "'platform' for metric_by_platform, else the content feature.",
        "metric": "Analysed metric, named with its transform (e.g. log1p_views_day_7).",
        "method": "kruskal (metric_by_platform) or cochran_q_pearson (feature_effect_by_platform).",
        **_METRIC,
        "statistic": "Kruskal-Wallis H or Cochran's Q.",
        "degrees_of_freedom": "Platforms compared - 1.",
        "p_value": "Raw p-value.",
        "adjusted_p_value": "Benjamini-Hochberg over the metrics (or feature x metric pairs) of the day.",
        "effect_size": "Epsilon squared of Kruskal-Wallis (NULL for feature effects).",
        "effect_size_name": "epsilon_squared or NULL.",
        "strength": "Strength of the platform difference (NULL for feature effects).",
        "significance_level": "CORRELATION_SIGNIFICANCE_THRESHOLD.",
        "is_significant": "adjusted_p_value <= significance_level.",
        "sample_size": "Items compared.",
        "per_platform": "Per-platform summaries (n, mean with interval, median) or correlations.",
        "pairwise": "Holm-corrected pairwise Mann-Whitney tests with rank-biserial effect sizes.",
        "excluded_platforms": "Platforms left out for having too few items.",
        "insufficient_data": "True when no test could be run.",
        "insufficient_reason": "Why no test could be run.",
        "interpretation": "The result in words; never a causal claim.",
        **_WINDOW,
    },
    "ab_test_performance": {
        "analysis_date": "Partition day the experiment was evaluated as of.",
        "workspace_id": "Tenant; row-level security filters BI readers on it.",
        "experiment_id": "Declared experiment (analytics.experiments).",
        "variant": "Variant of this row.",
        "is_control": "True for the control row (comparison columns NULL).",
        "control_variant": "The experiment's control variant.",
        "primary_metric": "Declared primary metric.",
        "metric_kind": "mean (Welch t) or rate (delta-method z test of pooled rates).",
        "metric_age_days": "Age every item is measured at (the same for all variants).",
        "start_date": "Declared first publish day.",
        "end_date": "Declared last publish day.",
        "planned_end": "end_date + metric_age_days: the fixed horizon; no comparison before it.",
        "horizon_reached": "analysis_date >= planned_end.",
        "significance_level": "CORRELATION_SIGNIFICANCE_THRESHOLD (Holm over the treatments).",
        "declared_items": "Items declared for the variant.",
        "sample_size": "Items of the variant with the metric at metric_age_days by analysis_date.",
        "expected_share": "Planned share of the variant (sample-ratio check).",
        "estimate": "Per-item mean or pooled rate (NULL before the horizon).",
        "ci_lower": "Lower end of the 95% interval of the estimate.",
        "ci_upper": "Upper end of the 95% interval of the estimate.",
        "std": "Per-item standard deviation (mean kind).",
        "successes": "Sum of successes (rate kind).",
        "trials": "Sum of views (rate kind).",
        "probability_best": "Posterior probability (normal approximation, flat prior) the variant is best.",
        "primary_test": "welch_t or rate_difference_delta_z.",
        "absolute_difference": "Treatment - control on the primary metric.",
        "difference_ci_lower": "Lower end of the 95% interval of the difference.",
        "difference_ci_upper": "Upper end of the 95% interval of the difference.",
        "primary_statistic": "t or z of the primary test.",
        "primary_p_value": "Raw p of the primary test.",
        "adjusted_p_value": "Holm-adjusted p over the treatments.",
        "is_significant": "adjusted_p_value <= significance_level.",
        "welch_t": "Welch t on per-item values (robustness view for rate metrics).",
        "welch_df": "Welch degrees of freedom.",
        "welch_p_value": "Welch two-sided p.",
        "mann_whitney_u": "Mann-Whitney U of treatment vs control (robust check).",
        "mann_whitney_p_value": "Mann-Whitney two-sided p.",
        "rank_biserial": "Rank-biserial correlation (> 0: treatment tends to be larger).",
        "relative_lift": "absolute_difference / control level.",
        "lift_ci_lower": "Lower end of the percentile bootstrap interval of the relative lift.",
        "lift_ci_upper": "Upper end of the percentile bootstrap interval of the relative lift.",
        "minimum_detectable_lift": "Relative lift detectable with 80% power at the achieved sizes.",
        "achieved_power": "Power to detect target_relative_lift at the achieved sizes.",
        "srm_chi_square": "Chi-square of the variant counts against the planned allocation.",
        "srm_p_value": "p of the sample-ratio check.",
        "sample_ratio_mismatch": "srm_p_value < 0.001: assignment or logging broken; no effect is reported.",
        "weekday_balance_p_value": "Chi-square p that publish weekdays are independent of the variant.",
        "verdict": (
            "too_early, insufficient_data, sample_ratio_mismatch, treatment_better, treatment_worse "
            "or inconclusive (the same on every row of the experiment)."
        ),
        "verdict_text": "The verdict in words, with the lift, its interval and the adjusted p.",
        "details": "Full comparison (Welch, rate and two-proportion tests), sample ratio and item counts.",
        "run_id": "Dagster run that wrote the row.",
        "computed_at": "When the row was written.",
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


def downgrade() -> None:
    for table in reversed(TABLES):
        qualified = f"analytics.{table}"
        op.execute(f"drop policy reader_workspace on {qualified}")
        op.execute(f"alter table {qualified} disable row level security")
        op.execute(f"revoke all on {qualified} from {WRITER}, {READER}")
        op.execute(f"drop table {qualified}")

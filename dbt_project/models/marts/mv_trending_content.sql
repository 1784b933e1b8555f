{{
    config(
        materialized='materialized_view',
        post_hook="{{ materialized_view_access() }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'content_id'], 'unique': true},
            {'columns': ['workspace_id', 'trend_rank']},
        ],
    )
}}

-- One row per content item observed in the last 3 days of its workspace and platform, as of that
-- workspace's and platform's latest metric date (days are platform-local: a UTC platform's latest
-- day can be one ahead of a Los Angeles one). Velocity against the item's own recent past and
-- lifetime views against the point-in-time benchmark of its age. Reads tables only (see
-- mv_dashboard_overview). Readers use bi.trending_content.

{%- set velocity_window = 3 %}
{%- set baseline_window = 14 %}
{%- set slope_window = 7 %}

with

history as (
    select * from {{ ref('content_performance_history') }}
),

benchmarks as (
    select * from {{ ref('int_age_benchmarks_computed') }}
),

as_of as (
    select
        workspace_id,
        platform,
        max(metric_date) as as_of_date
    from history
    group by workspace_id, platform
),

recent as (
    -- The velocity days and the baseline days before them. A day after a gap carries the views
    -- of every day since the previous observation: they are spread evenly over those days, so
    -- that a gap does not look like a spike.
    select
        history.workspace_id,
        history.platform,
        history.content_id,
        history.metric_date,
        history.views,
        history.age_days,
        history.category,
        as_of.as_of_date,
        as_of.as_of_date - history.metric_date as days_ago,
        as_of.as_of_date - history.metric_date < {{ velocity_window }} as is_velocity_day,
        as_of.as_of_date - history.metric_date >= {{ velocity_window }} as is_baseline_day,
        history.daily_views::double precision
        / greatest(coalesce(history.days_since_previous, 1), 1) as views_per_day
    from history
    inner join as_of
        on
            history.workspace_id = as_of.workspace_id
            and history.platform = as_of.platform
    where history.metric_date > as_of.as_of_date - {{ velocity_window + baseline_window }}
),

velocities as (
    select
        workspace_id,
        platform,
        content_id,
        as_of_date,
        count(views_per_day) filter (where is_velocity_day) as velocity_days,
        count(views_per_day) filter (where is_baseline_day) as baseline_days,
        avg(views_per_day) filter (where is_velocity_day) as velocity,
        percentile_cont(0.5) within group (order by views_per_day) filter (where is_baseline_day) as baseline,
        -- One array slot per calendar day (NULL when not observed), oldest first.
        analytics.linear_slope(array[
            {%- for days_ago in range(slope_window - 1, -1, -1) %}
                max(views_per_day) filter (where days_ago = {{ days_ago }}){{ ',' if not loop.last }}
            {%- endfor %}
        ]) as velocity_slope
    from recent
    group by workspace_id, platform, content_id, as_of_date
    having bool_or(is_velocity_day)
),

latest as (
    select
        workspace_id,
        platform,
        content_id,
        metric_date as last_metric_date,
        views as lifetime_views,
        age_days,
        category,
        row_number() over (
            partition by workspace_id, platform, content_id
            order by metric_date desc
        ) as recency
    from recent
    where is_velocity_day
),

benchmarked as (
    select
        velocities.*,
        latest.last_metric_date,
        latest.lifetime_views,
        latest.age_days,
        latest.category,
        -- The same choice as content_performance_history: the category's benchmark when it has
        -- enough observations, else all categories of the platform when they have, else none.
        {{ pick_age_benchmark("{b}.category") }} as benchmark_category,
        {{ pick_age_benchmark("{b}.sample_size") }} as benchmark_sample_size,
        {{ pick_age_benchmark("{b}.views_p50") }} as benchmark_views_p50,
        -- The same group's median views gained per day over the velocity window's ages.
        {{ pick_age_benchmark(
            "({b}.views_p50 - {b}_earlier.views_p50) / " ~ velocity_window ~ ".0"
        ) }} as benchmark_velocity
    from velocities
    inner join latest
        on
            velocities.workspace_id = latest.workspace_id
            and velocities.platform = latest.platform
            and velocities.content_id = latest.content_id
            and latest.recency = 1
    {{ join_age_benchmarks(
        'benchmarks', 'latest', 'latest.category', 'latest.age_days', 'velocities.as_of_date'
    ) }}
    {{ join_age_benchmarks(
        'benchmarks',
        'latest',
        'latest.category',
        'latest.age_days - ' ~ velocity_window,
        'velocities.as_of_date',
        suffix='_earlier',
    ) }}
),

final as (
    select
        workspace_id,
        platform,
        content_id,
        as_of_date,
        last_metric_date,
        category,
        age_days,
        lifetime_views,
        velocity_days,
        velocity,
        baseline_days,
        baseline,
        velocity_slope,
        benchmark_category,
        benchmark_sample_size,
        benchmark_views_p50,
        benchmark_velocity,
        velocity / nullif(baseline, 0) as velocity_vs_baseline,
        velocity / nullif(benchmark_velocity, 0) as velocity_vs_age_benchmark,
        lifetime_views / nullif(benchmark_views_p50, 0) as views_vs_age_benchmark,
        -- Items without a baseline (new, or none before the last days) rank after the others.
        row_number() over (
            partition by workspace_id
            order by
                velocity / nullif(baseline, 0) desc nulls last,
                velocity desc nulls last,
                platform asc,
                content_id asc
        ) as trend_rank
    from benchmarked
)

select * from final

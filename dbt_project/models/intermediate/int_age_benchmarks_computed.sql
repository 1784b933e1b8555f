{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        post_hook="analyze {{ this }}",
        pre_hook="{{ delete_window('as_of_date') }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'category', 'age_days', 'as_of_date'], 'unique': true},
        ],
    )
}}

-- Point-in-time benchmarks: for every day D of the window, the distribution of lifetime views
-- at each age (days since publish) over the observations of the benchmark_lookback_days up to
-- D, per workspace, platform and category (and 'all' categories). The history scores a day
-- against the benchmarks as of that day, so a backfill gives what the daily runs gave.

with

platforms as (
    select * from {{ ref('platforms') }}
),

content as (
    select * from {{ ref('stg_raw__content') }}
),

days as (
    select * from {{ ref('int_content_days_aggregated') }}
    where
        metric_date >= '{{ var("min_date") }}'::date - {{ var("benchmark_lookback_days") }}
        and metric_date < '{{ var("max_date") }}'::date
),

observations as (
    select
        days.workspace_id,
        days.platform,
        days.metric_date,
        days.views,
        coalesce(content.category, 'unknown') as category,
        days.metric_date - (content.published_at at time zone platforms.reporting_timezone)::date as age_days
    from days
    inner join content
        on
            days.workspace_id = content.workspace_id
            and days.platform = content.platform
            and days.content_id = content.content_id
    inner join platforms on days.platform = platforms.platform
    where content.published_at is not null
),

as_of_dates as (
    select distinct metric_date as as_of_date
    from days
    where {{ in_window('metric_date') }}
),

observed_by_date as (
    select
        observations.*,
        as_of_dates.as_of_date
    from as_of_dates
    inner join observations
        on
            as_of_dates.as_of_date >= observations.metric_date
            and observations.metric_date > as_of_dates.as_of_date - {{ var("benchmark_lookback_days") }}
    where observations.age_days between 0 and {{ var("benchmark_max_age_days") }}
),

percentiles as (
    select
        as_of_date,
        workspace_id,
        platform,
        age_days,
        coalesce(category, 'all') as category,
        count(*) as sample_size,
        percentile_cont(0.25) within group (order by views) as views_p25,
        percentile_cont(0.50) within group (order by views) as views_p50,
        percentile_cont(0.75) within group (order by views) as views_p75,
        percentile_cont(0.90) within group (order by views) as views_p90
    from observed_by_date
    group by grouping sets (
        (as_of_date, workspace_id, platform, category, age_days),
        (as_of_date, workspace_id, platform, age_days)
    )
)

select * from percentiles

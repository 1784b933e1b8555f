{{
    config(
        post_hook="{{ enable_workspace_rls() }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'category', 'age_days'], 'unique': true},
        ],
    )
}}

-- What "normal" looks like at equal ages: per workspace, platform and category (and 'all'
-- categories), the distribution of lifetime views, engagement rate and watch time of the items
-- observed exactly 1, 7 and 30 platform-local days after their publish day, next to the
-- platform's configured industry engagement rate.

{% set benchmark_ages = [1, 7, 30] %}

with

history as (
    select * from {{ ref('content_performance_history') }}
    where age_days in ({{ benchmark_ages | join(', ') }})
),

platforms as (
    select * from {{ ref('platforms') }}
),

percentiles as (
    select
        workspace_id,
        platform,
        age_days,
        case when grouping(category) = 1 then 'all' else category end as category,
        count(*) as sample_size,
        count(engagement_rate) as engagement_rate_sample_size,
        count(watch_time_seconds) as watch_time_sample_size,
        percentile_cont(0.25) within group (order by views) as views_p25,
        percentile_cont(0.50) within group (order by views) as views_p50,
        percentile_cont(0.75) within group (order by views) as views_p75,
        percentile_cont(0.90) within group (order by views) as views_p90,
        percentile_cont(0.25) within group (order by engagement_rate) as engagement_rate_p25,
        percentile_cont(0.50) within group (order by engagement_rate) as engagement_rate_p50,
        percentile_cont(0.75) within group (order by engagement_rate) as engagement_rate_p75,
        percentile_cont(0.90) within group (order by engagement_rate) as engagement_rate_p90,
        percentile_cont(0.25) within group (order by watch_time_seconds) as watch_time_seconds_p25,
        percentile_cont(0.50) within group (order by watch_time_seconds) as watch_time_seconds_p50,
        percentile_cont(0.75) within group (order by watch_time_seconds) as watch_time_seconds_p75,
        percentile_cont(0.90) within group (order by watch_time_seconds) as watch_time_seconds_p90
    from history
    group by grouping sets (
        (workspace_id, platform, category, age_days),
        (workspace_id, platform, age_days)
    )
),

final as (
    select
        percentiles.workspace_id,
        percentiles.platform,
        percentiles.category,
        percentiles.age_days,
        percentiles.sample_size,
        percentiles.views_p25,
        percentiles.views_p50,
        percentiles.views_p75,
        percentiles.views_p90,
        percentiles.engagement_rate_sample_size,
        percentiles.engagement_rate_p25,
        percentiles.engagement_rate_p50,
        percentiles.engagement_rate_p75,
        percentiles.engagement_rate_p90,
        percentiles.watch_time_sample_size,
        percentiles.watch_time_seconds_p25,
        percentiles.watch_time_seconds_p50,
        percentiles.watch_time_seconds_p75,
        percentiles.watch_time_seconds_p90,
        platforms.benchmark_engagement_rate,
        percentiles.engagement_rate_p50 / nullif(platforms.benchmark_engagement_rate, 0)
            as engagement_rate_vs_industry
    from percentiles
    inner join platforms on percentiles.platform = platforms.platform
)

select * from final

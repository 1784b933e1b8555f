{{
    config(
        materialized='materialized_view',
        post_hook="{{ materialized_view_access() }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'metric_date'], 'unique': true},
        ],
    )
}}

-- One row per workspace, platform and metric date (the platform's local day): sums of the daily
-- counters, engagement and score, and how many items had a gap or a counter decrease. Reads the
-- history *table* only (see mv_dashboard_overview). Readers use bi.platform_daily_metrics.

with

history as (
    select * from {{ ref('content_performance_history') }}
),

final as (
    select
        workspace_id,
        platform,
        metric_date,
        count(*) as content_items,
        {% for counter in ['views', 'likes', 'comments', 'shares', 'saves', 'watch_time_seconds',
                           'impressions', 'reach'] %}
            sum(daily_{{ counter }})::bigint as total_daily_{{ counter }},
        {% endfor %}
        avg(engagement_rate) as avg_engagement_rate,
        percentile_cont(0.5) within group (order by engagement_rate) as median_engagement_rate,
        avg(performance_score) as avg_performance_score,
        count(*) filter (where has_counter_decrease) as counter_decrease_items,
        count(*) filter (where is_gap) as gap_items
    from history
    group by workspace_id, platform, metric_date
)

select * from final

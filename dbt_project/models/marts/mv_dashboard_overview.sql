{{
    config(
        materialized='materialized_view',
        post_hook="{{ materialized_view_access() }}",
        indexes=[
            {'columns': ['workspace_id', 'metric_date'], 'unique': true},
        ],
    )
}}

-- One row per workspace and metric date (platform-local days): what the workspace's content did
-- that day across its platforms. Reads the history *table* only: a dbt view upstream would drop
-- this MV (`drop ... cascade`) every time it is rebuilt. Readers use bi.dashboard_overview.

with

history as (
    select * from {{ ref('content_performance_history') }}
),

final as (
    select
        workspace_id,
        metric_date,
        count(*) as content_items,
        count(distinct platform) as platforms_active,
        array_agg(distinct platform order by platform) as platforms,
        sum(daily_views)::bigint as total_daily_views,
        sum(daily_likes)::bigint as total_daily_likes,
        sum(daily_comments)::bigint as total_daily_comments,
        sum(daily_shares)::bigint as total_daily_shares,
        avg(engagement_rate) as mean_engagement_rate,
        count(*) filter (where performance_class = 'high') as high_performance_items,
        count(*) filter (where performance_class = 'medium') as medium_performance_items,
        count(*) filter (where performance_class = 'low') as low_performance_items,
        count(*) filter (where performance_class is null) as unscored_items
    from history
    group by workspace_id, metric_date
)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        post_hook="analyze {{ this }}",
        pre_hook="{{ delete_window('metric_date') }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'content_id', 'metric_date'], 'unique': true},
            {'columns': ['metric_date']},
        ],
    )
}}

-- One row per content item and platform-local day: the day's last snapshot (lifetime counters
-- as reported then), how many snapshots described the day and how many of them arrived late.

with

platforms as (
    select * from {{ ref('platforms') }}
),

snapshots as (
    -- Captures within a day of the window, so that any reporting time zone is covered
    -- (and the raw partitions outside it are pruned).
    select * from {{ ref('stg_raw__engagement_snapshots') }}
    where
        captured_at >= '{{ var("min_date") }}'::date - interval '1 day'
        and captured_at < '{{ var("max_date") }}'::date + interval '1 day'
),

localised as (
    select
        snapshots.*,
        (snapshots.captured_at at time zone platforms.reporting_timezone)::date as metric_date,
        snapshots.ingest_date > (snapshots.captured_at at time zone 'UTC')::date as is_late
    from snapshots
    inner join platforms on snapshots.platform = platforms.platform
),

ranked as (
    select
        *,
        row_number() over (
            partition by workspace_id, platform, content_id, metric_date
            order by captured_at desc
        ) as recency,
        count(*) over (partition by workspace_id, platform, content_id, metric_date) as snapshots_in_day,
        count(*) filter (where is_late) over (
            partition by workspace_id, platform, content_id, metric_date
        ) as late_snapshots
    from localised
    where {{ in_window('metric_date') }}
),

final as (
    select
        workspace_id,
        platform,
        content_id,
        metric_date,
        captured_at as last_captured_at,
        snapshots_in_day,
        late_snapshots,
        views,
        likes,
        comments,
        shares,
        saves,
        watch_time_seconds,
        impressions,
        reach
    from ranked
    where recency = 1
)

select * from final

with

source as (
    select * from {{ source('raw', 'engagement_snapshots') }}
),

renamed as (
    select
        workspace_id,
        platform,
        content_id,
        captured_at,
        views,
        likes,
        comments,
        shares,
        saves,
        watch_time_seconds,
        impressions,
        reach,
        engagement_rate as reported_engagement_rate,
        ingest_date
    from source
)

select * from renamed

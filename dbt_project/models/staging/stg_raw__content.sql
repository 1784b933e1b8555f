with

source as (
    select * from {{ source('raw', 'content') }}
),

renamed as (
    select
        workspace_id,
        platform,
        content_id,
        title,
        description,
        published_at,
        duration_seconds,
        category,
        tags,
        language,
        creator_id,
        creator_name,
        creator_timezone,
        format
    from source
)

select * from renamed

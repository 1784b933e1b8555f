{{
    config(
        post_hook="{{ enable_workspace_rls() }}",
        indexes=[
            {'columns': ['workspace_id', 'platform', 'content_id'], 'unique': true},
        ],
    )
}}

-- One row per content item: what the item is (text, timing, posting cadence, category) next to
-- outcomes taken at the same ages for every item (1, 7 and 30 platform-local days after the
-- publish day), so a correlation step does not credit old items for having had more time.

with

content as (
    select * from {{ ref('stg_raw__content') }}
),

platforms as (
    select * from {{ ref('platforms') }}
),

history as (
    select * from {{ ref('content_performance_history') }}
),

time_zones as (
    -- IANA names Postgres knows (case-insensitive, as "at time zone" reads them): an unknown
    -- name would make "at time zone" raise, so only these are used.
    select
        lower(name) as zone_key,
        min(name) as zone_name
    from pg_catalog.pg_timezone_names
    group by lower(name)
),

localised as (
    -- The creator's time zone when it is a known name, else the platform's reporting zone.
    select
        content.workspace_id,
        content.platform,
        content.content_id,
        content.title,
        content.description,
        content.published_at,
        content.duration_seconds,
        content.tags,
        content.language,
        content.creator_id,
        content.creator_timezone,
        content.format,
        coalesce(content.category, 'unknown') as category,
        coalesce(time_zones.zone_name, platforms.reporting_timezone) as publish_timezone,
        (content.published_at at time zone platforms.reporting_timezone)::date as published_date
    from content
    inner join platforms on content.platform = platforms.platform
    left join time_zones on lower(btrim(content.creator_timezone)) = time_zones.zone_key
),

posting_gaps as (
    -- Days since the same creator's previous post on the same platform and workspace.
    select
        workspace_id,
        platform,
        content_id,
        extract(
            epoch from published_at - lag(published_at) over (
                partition by workspace_id, platform, creator_id
                order by published_at, content_id
            )
        )::double precision / 86400 as days_since_previous_post
    from content
    where
        creator_id is not null
        and published_at is not null
),

features as (
    select
        localised.*,
        posting_gaps.days_since_previous_post,
        extract(hour from localised.published_at at time zone localised.publish_timezone)::integer
            as publish_hour_local,
        extract(isodow from localised.published_at at time zone localised.publish_timezone)::integer
            as publish_weekday_local,
        char_length(localised.title) as title_length,
        regexp_count(localised.title, '\S+') as title_words,
        char_length(localised.description) as description_length,
        cardinality(localised.tags) as tag_count,
        localised.title ~ '[?？]' as title_has_question,
        localised.title ~ '[0-9]' as title_has_number,
        localised.title ~ '[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55]' as title_has_emoji,
        -- Distinct #words / @words (case-insensitive) of title and description together; a
        -- sign inside a word (C#, an e-mail address) does not start one.
        case when localised.title is not null or localised.description is not null then (
            select count(distinct lower(hashtag.parts[2]))
            from regexp_matches(
                concat_ws(' ', localised.title, localised.description), '(^|\W)#(\w+)', 'g'
            ) as hashtag (parts)
        ) end as hashtag_count,
        case when localised.title is not null or localised.description is not null then (
            select count(distinct lower(mention.parts[2]))
            from regexp_matches(
                concat_ws(' ', localised.title, localised.description), '(^|\W)@(\w+)', 'g'
            ) as mention (parts)
        ) end as mention_count
    from localised
    left join posting_gaps
        on
            localised.workspace_id = posting_gaps.workspace_id
            and localised.platform = posting_gaps.platform
            and localised.content_id = posting_gaps.content_id
),

equal_age_outcomes as (
    -- Lifetime counters on the platform-local day published_date + N (NULL when the item was
    -- not observed that day), with the engagement rate of content_performance_history.
    select
        workspace_id,
        platform,
        content_id,
        max(views) filter (where age_days = 1) as views_day_1,
        max(views) filter (where age_days = 7) as views_day_7,
        max(views) filter (where age_days = 30) as views_day_30,
        max(engagement_rate) filter (where age_days = 7) as engagement_rate_day_7,
        max(engagement_rate) filter (where age_days = 30) as engagement_rate_day_30
    from history
    where age_days in (1, 7, 30)
    group by workspace_id, platform, content_id
),

ranked_observations as (
    select
        workspace_id,
        platform,
        content_id,
        metric_date,
        views,
        age_days,
        row_number() over (
            partition by workspace_id, platform, content_id
            order by metric_date desc
        ) as recency
    from history
),

latest_observations as (
    select
        workspace_id,
        platform,
        content_id,
        metric_date as latest_metric_date,
        views as latest_views,
        age_days as age_days_at_latest
    from ranked_observations
    where recency = 1
),

final as (
    select
        features.workspace_id,
        features.platform,
        features.content_id,
        features.creator_id,
        features.title,
        features.published_at,
        features.published_date,
        features.creator_timezone,
        features.publish_timezone,
        features.publish_hour_local,
        features.publish_weekday_local,
        features.days_since_previous_post,
        features.category,
        features.format,
        features.language,
        features.title_length,
        features.title_words,
        features.title_has_question,
        features.title_has_number,
        features.title_has_emoji,
        features.hashtag_count,
        features.mention_count,
        features.description_length,
        features.tag_count,
        features.duration_seconds,
        equal_age_outcomes.views_day_1,
        equal_age_outcomes.views_day_7,
        equal_age_outcomes.views_day_30,
        equal_age_outcomes.engagement_rate_day_7,
        equal_age_outcomes.engagement_rate_day_30,
        latest_observations.latest_views,
        latest_observations.latest_metric_date,
        latest_observations.age_days_at_latest
    from features
    left join equal_age_outcomes
        on
            features.workspace_id = equal_age_outcomes.workspace_id
            and features.platform = equal_age_outcomes.platform
            and features.content_id = equal_age_outcomes.content_id
    left join latest_observations
        on
            features.workspace_id = latest_observations.workspace_id
            and features.platform = latest_observations.platform
            and features.content_id = latest_observations.content_id
)

select * from final

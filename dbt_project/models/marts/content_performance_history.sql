{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('metric_date') }}",
        post_hook=["{{ enable_workspace_rls() }}", "analyze {{ this }}"],
        indexes=[
            {'columns': ['workspace_id', 'platform', 'content_id', 'metric_date'], 'unique': true},
            {'columns': ['metric_date']},
        ],
    )
}}

with

content as (
    select * from {{ ref('stg_raw__content') }}
),

platforms as (
    select * from {{ ref('platforms') }}
),

metric_definitions as (
    select * from {{ ref('metric_definitions') }}
),

benchmarks as (
    select * from {{ ref('int_age_benchmarks_computed') }}
    where {{ in_window('as_of_date') }}
),

window_days as (
    select * from {{ ref('int_content_days_aggregated') }}
    where {{ in_window('metric_date') }}
),

with_previous as (
    -- The previous *available* day of the same item, however far back (a gap is flagged, never
    -- filled): one lookup through the table's unique index per row, so a day's build does not
    -- grow with the history behind it, and the planner sees the window's real row count.
    select
        window_days.*,
        previous.metric_date as previous_metric_date,
        previous.views as previous_views,
        previous.likes as previous_likes,
        previous.comments as previous_comments,
        previous.shares as previous_shares,
        previous.saves as previous_saves,
        previous.watch_time_seconds as previous_watch_time_seconds,
        previous.impressions as previous_impressions,
        previous.reach as previous_reach
    from window_days
    left join lateral (
        select earlier.*
        from {{ ref('int_content_days_aggregated') }} as earlier
        where
            earlier.workspace_id = window_days.workspace_id
            and earlier.platform = window_days.platform
            and earlier.content_id = window_days.content_id
            and earlier.metric_date < window_days.metric_date
        order by earlier.metric_date desc
        limit 1
    ) as previous on true
),

described as (
    select
        with_previous.*,
        content.format,
        platforms.engagement_rate_formula,
        metric_definitions.denominator as engagement_denominator,
        metric_definitions.includes_shares,
        metric_definitions.includes_saves,
        coalesce(content.category, 'unknown') as category,
        (content.published_at at time zone platforms.reporting_timezone)::date as published_date
    from with_previous
    inner join platforms on with_previous.platform = platforms.platform
    inner join metric_definitions on platforms.engagement_rate_formula = metric_definitions.formula
    left join content
        on
            with_previous.workspace_id = content.workspace_id
            and with_previous.platform = content.platform
            and with_previous.content_id = content.content_id
),

deltas as (
    select
        *,
        metric_date - published_date as age_days,
        metric_date - previous_metric_date as days_since_previous,
        -- From zero on the publish day when it is the first observation; otherwise unknown.
        {% for counter in ['views', 'likes', 'comments', 'shares', 'saves', 'watch_time_seconds',
                           'impressions', 'reach'] %}
            case
                when previous_metric_date is not null then {{ counter }} - previous_{{ counter }}
                when metric_date = published_date then {{ counter }}
            end as daily_{{ counter }},
        {% endfor %}
        likes + comments
        + case when includes_shares then coalesce(shares, 0) else 0 end
        + case when includes_saves then coalesce(saves, 0) else 0 end as interactions
    from described
),

scored as (
    select
        deltas.*,
        analytics.engagement_rate(
            deltas.interactions,
            coalesce(
                case deltas.engagement_denominator
                    when 'reach' then deltas.reach
                    when 'impressions' then deltas.impressions
                end,
                deltas.views
            )
        ) as engagement_rate,
        {{ pick_age_benchmark("{b}.sample_size") }} as benchmark_sample_size,
        {{ pick_age_benchmark("{b}.category") }} as benchmark_category,
        {{ pick_age_benchmark(
            "analytics.performance_score(deltas.views, {b}.views_p25, {b}.views_p50, {b}.views_p75, {b}.views_p90)"
        ) }} as performance_score
    from deltas
    {{ join_age_benchmarks(
        'benchmarks', 'deltas', 'deltas.category', 'deltas.age_days', 'deltas.metric_date'
    ) }}
),

final as (
    select
        workspace_id,
        platform,
        content_id,
        metric_date,
        last_captured_at,
        snapshots_in_day,
        late_snapshots,
        published_date,
        age_days,
        category,
        format,
        views,
        likes,
        comments,
        shares,
        saves,
        watch_time_seconds,
        impressions,
        reach,
        previous_metric_date,
        days_since_previous,
        coalesce(days_since_previous > 1, false) as is_gap,
        previous_metric_date is null as is_first_observation,
        daily_views,
        daily_likes,
        daily_comments,
        daily_shares,
        daily_saves,
        daily_watch_time_seconds,
        daily_impressions,
        daily_reach,
        analytics.growth_rate(views, previous_views) as views_growth_rate,
        array_remove(array[
            case when daily_views < 0 then 'views' end,
            case when daily_likes < 0 then 'likes' end,
            case when daily_comments < 0 then 'comments' end,
            case when daily_shares < 0 then 'shares' end,
            case when daily_saves < 0 then 'saves' end,
            case when daily_watch_time_seconds < 0 then 'watch_time_seconds' end,
            case when daily_impressions < 0 then 'impressions' end,
            case when daily_reach < 0 then 'reach' end
        ], null) as decreased_counters,
        interactions,
        engagement_rate,
        engagement_rate_formula,
        case when views > 0 then watch_time_seconds::double precision / views end
            as avg_watch_seconds_per_view,
        performance_score,
        case
            when performance_score is null then null
            when performance_score < {{ var("low_performance_threshold") }} then 'low'
            when performance_score >= {{ var("high_performance_threshold") }} then 'high'
            else 'medium'
        end as performance_class,
        benchmark_category,
        benchmark_sample_size
    from scored
)

select
    *,
    cardinality(decreased_counters) > 0 as has_counter_decrease
from final

{{
    config(
        materialized='view',
        schema='bi',
        alias='trending_content',
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.trending_content: mv_trending_content (one row per recently observed content item) restricted to the workspaces of the
-- session's login role. Owner-rights view with security_barrier; why it must not be
-- security_invoker is explained in macros/bi_views.sql.

select * from {{ ref('mv_trending_content') }}
where {{ bi_workspace_filter() }}

{{
    config(
        materialized='view',
        schema='bi',
        alias='trending_content',
        pre_hook="{{ forget_dropped_relation() }}",
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.trending_content: trending content as of the latest day (mv_trending_content),
-- only the rows of the workspaces mapped to the session's login role. An owner-rights view with
-- security_barrier; why it must not be security_invoker: macros/bi_views.sql. `select *` is
-- expanded when the view is created; a build selecting this model recreates it after
-- mv_trending_content.

select * from {{ ref('mv_trending_content') }}  -- noqa: AM04
where {{ bi_workspace_filter() }}

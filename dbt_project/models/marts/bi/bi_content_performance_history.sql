{{
    config(
        materialized='view',
        schema='bi',
        alias='content_performance_history',
        pre_hook="{{ forget_dropped_relation() }}",
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.content_performance_history: the content performance history (marts.content_performance_history),
-- only the rows of the workspaces mapped to the session's login role. An owner-rights view with
-- security_barrier; why it must not be security_invoker: macros/bi_views.sql. `select *` is
-- expanded when the view is created; a build selecting this model recreates it after
-- content_performance_history.

select * from {{ ref('content_performance_history') }}  -- noqa: AM04
where {{ bi_workspace_filter() }}

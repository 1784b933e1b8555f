{{
    config(
        materialized='view',
        schema='bi',
        alias='content_performance_history',
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.content_performance_history: content_performance_history (one row per content item and day) restricted to the workspaces of the
-- session's login role. Owner-rights view with security_barrier; why it must not be
-- security_invoker is explained in macros/bi_views.sql.

select * from {{ ref('content_performance_history') }}
where {{ bi_workspace_filter() }}

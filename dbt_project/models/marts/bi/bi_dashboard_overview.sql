{{
    config(
        materialized='view',
        schema='bi',
        alias='dashboard_overview',
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.dashboard_overview: mv_dashboard_overview (one row per workspace and day) restricted to the workspaces of the
-- session's login role. Owner-rights view with security_barrier; why it must not be
-- security_invoker is explained in macros/bi_views.sql.

select * from {{ ref('mv_dashboard_overview') }}
where {{ bi_workspace_filter() }}

{{
    config(
        materialized='view',
        schema='bi',
        alias='platform_daily_metrics',
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.platform_daily_metrics: mv_platform_daily_metrics (one row per workspace, platform and day) restricted to the workspaces of the
-- session's login role. Owner-rights view with security_barrier; why it must not be
-- security_invoker is explained in macros/bi_views.sql.

select * from {{ ref('mv_platform_daily_metrics') }}
where {{ bi_workspace_filter() }}

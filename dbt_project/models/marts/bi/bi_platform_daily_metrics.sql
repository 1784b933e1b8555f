{{
    config(
        materialized='view',
        schema='bi',
        alias='platform_daily_metrics',
        pre_hook="{{ forget_dropped_relation() }}",
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.platform_daily_metrics: daily metrics per workspace and platform (mv_platform_daily_metrics),
-- only the rows of the workspaces mapped to the session's login role. An owner-rights view with
-- security_barrier; why it must not be security_invoker: macros/bi_views.sql. `select *` is
-- expanded when the view is created; a build selecting this model recreates it after
-- mv_platform_daily_metrics.

select * from {{ ref('mv_platform_daily_metrics') }}  -- noqa: AM04
where {{ bi_workspace_filter() }}

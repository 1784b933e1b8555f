{{
    config(
        materialized='view',
        schema='bi',
        alias='dashboard_overview',
        pre_hook="{{ forget_dropped_relation() }}",
        post_hook="{{ bi_view_access() }}",
    )
}}

-- bi.dashboard_overview: the daily overview per workspace (mv_dashboard_overview),
-- only the rows of the workspaces mapped to the session's login role. An owner-rights view with
-- security_barrier; why it must not be security_invoker: macros/bi_views.sql. `select *` is
-- expanded when the view is created; a build selecting this model recreates it after
-- mv_dashboard_overview.

select * from {{ ref('mv_dashboard_overview') }}  -- noqa: AM04
where {{ bi_workspace_filter() }}

{#- Access to the materialized views (MVs) and the BI views in schema `bi`.

    Postgres cannot put row-level security on a materialized view, so the MVs in `marts` are
    readable by their owner (the dbt user) and the writer only: perf_reader has no privilege
    on them, and the BI tools read `bi.*` views instead. Each of those views filters
    `workspace_id in (select raw.current_workspaces())` (the workspaces mapped to the login
    role in raw.workspace_access, the same rule as the RLS policies of raw and marts tables).

    The views are deliberately NOT `security_invoker`: a security-invoker view checks the
    privileges of the caller on the relations it reads, so the reader would need SELECT on
    the MV itself, and with that grant it could query the MV directly and skip the filter.
    An owner-rights view needs no grant on the MV; `security_barrier` makes sure the workspace
    filter is applied before any predicate or function the reader adds to the query, so a
    leaky function cannot see rows of other workspaces.

    A view depends on the relation it reads: `drop ... cascade` of an MV (a --full-refresh of
    the MV, or of an upstream incremental table, which drops the MVs reading it) drops the
    views with it. The views are dbt models downstream of the MVs, so any build that selects
    them (`mv_*+`, or a plain `dbt build`) recreates them right after their MV. -#}

{#- The row filter of every BI view. -#}
{% macro bi_workspace_filter(column='workspace_id') -%}
    {{ column }} in (select raw.current_workspaces())
{%- endmacro %}

{#- Post-hook of every BI view: barrier, schema usage and select for the reader. -#}
{% macro bi_view_access() -%}
    alter view {{ this }} set (security_barrier = true);
    grant usage on schema {{ this.schema }} to perf_reader;
    revoke all on {{ this }} from public;
    grant select on {{ this }} to perf_reader
{%- endmacro %}

{#- Post-hook of every MV: no access for the reader (only through the BI views), select for
    the writer, and the YAML column descriptions as column comments (dbt's persist_docs looks
    columns up in information_schema.columns, which does not list materialized views). -#}
{% macro materialized_view_access() -%}
    revoke all on {{ this }} from public;
    revoke all on {{ this }} from perf_reader;
    grant select on {{ this }} to perf_writer
    {%- for name, column in model.columns.items() if column.description %};
    comment on column {{ this }}.{{ adapter.quote(name) }} is {{ postgres_escape_comment(column.description) }}
    {%- endfor %}
{%- endmacro %}

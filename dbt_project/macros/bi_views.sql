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
    them (`mv_*+`, or a plain `dbt build`) recreates them right after their MV; until then BI
    queries fail with "relation does not exist" (never return other workspaces' rows). -#}

{#- The row filter of every BI view. -#}
{% macro bi_workspace_filter(column='workspace_id') -%}
    {{ column }} in (select raw.current_workspaces())
{%- endmacro %}

{#- Post-hook of every BI view: barrier, select for the reader, usage of the schema. -#}
{% macro bi_view_access() -%}
    alter view {{ this }} set (security_barrier = true);
    revoke all on {{ this }} from public;
    grant select on {{ this }} to perf_reader;
    {{ grant_schema_usage(this.schema, 'perf_reader') }}
{%- endmacro %}

{#- Pre-hook of every BI view. dbt's --full-refresh of a materialized view swaps in a new one
    and drops the old one with `cascade` in plain SQL, so dbt's relation cache still lists the
    BI view that the cascade dropped, and the view materialization then fails renaming it
    ("relation bi.x does not exist"). Tell the cache when the view is gone: the
    materialization looks the existing relation up again before renaming it. -#}
{% macro forget_dropped_relation() -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select 1 from pg_class inner join pg_namespace on pg_class.relnamespace = pg_namespace.oid"
            ~ " where pg_namespace.nspname = '" ~ this.schema ~ "'"
            ~ " and pg_class.relname = '" ~ this.identifier ~ "'"
        ) -%}
        {%- if found | length == 0 -%}
            {%- do adapter.cache_dropped(this) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The views of a schema build in parallel threads, inside transactions: two GRANTs on the same
    schema at once fail with "tuple concurrently updated", so they take turns on an advisory
    lock held to the end of the transaction, and only the first one changes the catalog. -#}
{% macro grant_schema_usage(schema, role) -%}
    select pg_advisory_xact_lock(hashtext('grant usage on schema {{ schema }}'));
    do $$ begin
        if not has_schema_privilege('{{ role }}', '{{ schema }}', 'usage') then
            grant usage on schema {{ schema }} to {{ role }};
        end if;
    end $$
{%- endmacro %}

{#- Post-hook of every MV: no access for the reader (only through the BI views), select for
    the writer, and the YAML column descriptions as column comments (dbt's persist_docs looks
    columns up in information_schema.columns, which does not list materialized views; like
    persist_docs, a documented column the view does not have is skipped). -#}
{% macro materialized_view_access() -%}
    {%- set existing = [] -%}
    {%- if execute -%}
        {%- set existing = run_query(
            "select attname from pg_attribute where attrelid = '" ~ this ~ "'::regclass"
            ~ " and attnum > 0 and not attisdropped"
        ).columns[0].values() -%}
    {%- endif -%}
    revoke all on {{ this }} from public;
    revoke all on {{ this }} from perf_reader;
    grant select on {{ this }} to perf_writer
    {%- for name, column in model.columns.items() if column.description and name in existing %};
    comment on column {{ this }}.{{ adapter.quote(name) }} is {{ postgres_escape_comment(column.description) }}
    {%- endfor %}
{%- endmacro %}

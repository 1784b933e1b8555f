{#- Post-hook of every mart table: row-level security per workspace for the BI reader role
    (the same rule as the raw tables), select for the reader, all for the writer.
    Idempotent, so it can run after every build, including full rebuilds. -#}
{% macro enable_workspace_rls() -%}
    {{ grant_schema_usage(this.schema, 'perf_reader') }};
    {{ grant_schema_usage(this.schema, 'perf_writer') }};
    grant select on {{ this }} to perf_reader;
    grant select, insert, update, delete on {{ this }} to perf_writer;
    alter table {{ this }} enable row level security;
    drop policy if exists reader_workspace on {{ this }};
    create policy reader_workspace on {{ this }} for select to perf_reader
        using (workspace_id in (select raw.current_workspaces()))
{%- endmacro %}

{#- Overrides dbt-postgres' macro of the same name (dbt/include/postgres/macros/relations/
    materialized_view/refresh.sql), which dbt's materialized_view materialization dispatches
    to when a model is re-run and its configuration (indexes) is unchanged.

    Plain REFRESH takes an ACCESS EXCLUSIVE lock: every dashboard query waits for the whole
    rebuild. CONCURRENTLY takes an EXCLUSIVE lock, which readers (ACCESS SHARE) never wait
    for, and swaps in the differences at the end. It needs a unique index on plain columns
    covering every row (each MV declares one in its `indexes` config) and a populated view:
    the first build creates the view WITH DATA through the normal create path, and a
    --full-refresh replaces it; only re-runs come here. -#}
{% macro postgres__refresh_materialized_view(relation) %}
    refresh materialized view concurrently {{ relation }}
{% endmacro %}

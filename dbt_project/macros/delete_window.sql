{#- Pre-hook of the day-partitioned incremental models: delete the whole [min_date, max_date)
    window before inserting it again, so a day whose rows vanished is cleared too (a
    delete+insert on unique_key only removes keys present in the new batch). Runs inside the
    model's transaction, so readers see the old window until the new one commits. -#}
{% macro delete_window(date_column='metric_date') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ date_column }} >= '{{ var("min_date") }}'::date
            and {{ date_column }} < '{{ var("max_date") }}'::date
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

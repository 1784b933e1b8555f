{#- The window of metric dates a partitioned run builds, as a WHERE condition. -#}
{% macro in_window(date_column='metric_date') -%}
    {{ date_column }} >= '{{ var("min_date") }}'::date and {{ date_column }} < '{{ var("max_date") }}'::date
{%- endmacro %}

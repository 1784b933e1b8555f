{#- Models live in the schema their folder names (staging, intermediate, marts, reference),
    not in "<target>_<custom>": BI tools and the API address them by these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}

{#- The point-in-time age benchmark of a row: its category's group when that has at least
    benchmark_min_group_size observations, else all categories of its platform when that has,
    else none. join_age_benchmarks() adds the two candidate groups (aliases by_category and
    by_platform, plus ``suffix`` when given, to join a second age); pick_age_benchmark() chooses
    between them for an expression written with {b} standing for the group's alias. -#}
{% macro join_age_benchmarks(benchmarks, row, category, age_days, as_of_date, suffix='') -%}
    {%- for group in ['by_category', 'by_platform'] %}
    {%- set alias = group ~ suffix %}
    left join {{ benchmarks }} as {{ alias }}
        on
            {{ row }}.workspace_id = {{ alias }}.workspace_id
            and {{ row }}.platform = {{ alias }}.platform
            and {{ alias }}.category = {{ category if group == 'by_category' else "'all'" }}
            and least({{ age_days }}, {{ var("benchmark_max_age_days") }}) = {{ alias }}.age_days
            and {{ as_of_date }} = {{ alias }}.as_of_date
    {%- endfor %}
{%- endmacro %}

{% macro pick_age_benchmark(expression) -%}
    case
        when by_category.sample_size >= {{ var("benchmark_min_group_size") }}
            then {{ expression | replace('{b}', 'by_category') }}
        when by_platform.sample_size >= {{ var("benchmark_min_group_size") }}
            then {{ expression | replace('{b}', 'by_platform') }}
    end
{%- endmacro %}

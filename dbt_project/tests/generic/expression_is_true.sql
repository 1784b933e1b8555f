{#- Fails with the rows for which the boolean SQL expression is not true
    (usable on a model or, ignoring the column, on a column). -#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)

{% endtest %}

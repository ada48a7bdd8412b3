{#- Per group, the index column must run 0, 1, ..., count - 1 with no gap or repeat. -#}
{% test contiguous_index(model, column_name, group_by) %}
    select
        {{ group_by }},
        min({{ column_name }}) as min_index,
        max({{ column_name }}) as max_index,
        count(*) as row_count,
        count(distinct {{ column_name }}) as distinct_count
    from {{ model }}
    group by {{ group_by }}
    having min({{ column_name }}) <> 0
        or max({{ column_name }}) <> count(*) - 1
        or count(distinct {{ column_name }}) <> count(*)
{% endtest %}

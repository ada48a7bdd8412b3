{#- Values must be 64 lowercase hex digits. -#}
{% test is_lowercase_sha256(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where not regexp_full_match({{ column_name }}, '[0-9a-f]{64}')
{% endtest %}

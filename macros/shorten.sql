{% macro shorten(expression, max_length) -%}
    case
        when length({{ expression }}) > {{ max_length }}
            then left({{ expression }}, {{ max_length - 1 }}) || '…'
        else {{ expression }}
    end
{%- endmacro %}

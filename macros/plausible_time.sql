{#-
    Times enter the warehouse in staging, and only times a record can really have: from
    2000 up to 2100. Anything else (microseconds read as seconds, `infinity`, `epoch`,
    year 9999, NaN) becomes null there, so no later model meets a value it cannot convert,
    and no session sorts to the end of time.
-#}

{% macro plausible_time(expression) -%}
    case
        when isfinite({{ expression }})
            and {{ expression }} >= timestamptz '2000-01-01 00:00:00+00'
            and {{ expression }} < timestamptz '2100-01-01 00:00:00+00'
            then {{ expression }}
    end
{%- endmacro %}

{#- Seconds since 1970 (exports), checked before they are converted: `to_timestamp` fails on
    values out of its range, and one such value would fail every build. -#}
{% macro plausible_time_from_epoch(expression) -%}
    case
        when isfinite({{ expression }})
            and {{ expression }} >= 946684800
            and {{ expression }} < 4102444800
            then to_timestamp({{ expression }})
    end
{%- endmacro %}

{#- One row per model that used tokens and has no price (seeds/model_prices.csv): their cost is
    null, never a silent zero. Used with severity warn: add the model to the seed. -#}
{% test priced(model, column_name) %}
    select model as unpriced_model, count(*) as responses
    from {{ model }}
    where {{ column_name }} is null and total_tokens > 0
    group by model
{% endtest %}

{#- The prices cost is computed with: the shipped seed (generated from LiteLLM by
    scripts/update_model_prices.py). Edit seeds/model_prices.csv in your own project copy
    (`chatlake project init`) to add or correct a model. -#}

with prices as (
    select * from {{ ref('model_prices') }}
)

select * from prices

{#- Usage and cost rules shared by the usage marts: which sessions an import recomputes, what a
    response's tokens cost. Prices are per million tokens (seeds/model_prices.csv). -#}

{% macro affected_response_sessions() -%}
    {#- Sessions whose raw lines changed since this mart's watermark, plus the sessions that hold
        a copy of one of their responses (a resumed session or a sub-agent replays them), whose
        copy may win or lose now. -#}
    with touched as (
        select session_id from {{ ref('stg_claude_code__touched_sessions') }}
        where load_id > {{ mart_watermark() }}
    ),
    touched_ids as (
        select distinct message_id from {{ ref('int_assistant_records_parsed') }}
        where message_id is not null and session_id in (select session_id from touched)
    ),
    sharing as (
        select session_id from {{ ref('int_assistant_records_parsed') }}
        where message_id in (select message_id from touched_ids)
    )
    select session_id from touched where session_id is not null
    union
    select session_id from sharing where session_id is not null
{%- endmacro %}

{% macro tiered_cost(tokens, base, above) -%}
    {#- ccusage's tiers: the tokens of one kind in one response above 200,000 cost the higher
        price when the model has one. -#}
    (case
        when coalesce({{ tokens }}, 0) = 0 then 0.0
        when {{ above }} is not null and {{ tokens }} > 200000
            then 200000 * {{ base }} + ({{ tokens }} - 200000) * {{ above }}
        else {{ tokens }} * {{ base }}
    end)
{%- endmacro %}

{% macro response_cost(r, p) -%}
    {#- The API-price estimate of one response, in USD, as ccusage 20 computes it: each token kind
        at its price (above 200k at the higher tier), times the fast-mode multiplier; a recorded
        `costUSD` is taken as it is. Null when tokens were used and the model has no price. -#}
    case
        when {{ r }}.is_synthetic then 0.0
        when {{ r }}.recorded_cost_usd is not null then {{ r }}.recorded_cost_usd
        when {{ r }}.total_tokens = 0 then 0.0
        when {{ p }}.model is null then null
        else (
            {{ tiered_cost(r ~ '.input_tokens', p ~ '.input_per_mtok', p ~ '.input_above_200k_per_mtok') }}
            + {{ tiered_cost(r ~ '.output_tokens', p ~ '.output_per_mtok', p ~ '.output_above_200k_per_mtok') }}
            + {{ tiered_cost(r ~ '.cache_creation_5m_tokens', p ~ '.cache_write_5m_per_mtok', p ~ '.cache_write_5m_above_200k_per_mtok') }}
            + {{ tiered_cost(r ~ '.cache_creation_1h_tokens', p ~ '.cache_write_1h_per_mtok', p ~ '.cache_write_1h_above_200k_per_mtok') }}
            + {{ tiered_cost(r ~ '.cache_read_tokens', p ~ '.cache_read_per_mtok', p ~ '.cache_read_above_200k_per_mtok') }}
        ) / 1e6
            * case when {{ r }}.speed = 'fast' then coalesce({{ p }}.fast_multiplier, 1.0) else 1.0 end
            * case when {{ r }}.inference_geo = 'us' then coalesce({{ p }}.us_only_multiplier, 1.0) else 1.0 end
    end
{%- endmacro %}

{% macro price_key_candidates(model) -%}
    {#- The seed rows a model name may be priced by, best first: the name itself, without a
        provider prefix (`anthropic/`, `us.anthropic.`), without its date suffix (-YYYYMMDD). -#}
    [
        {{ model }},
        regexp_replace({{ model }}, '^([a-z0-9_-]+[./])+', ''),
        regexp_replace(regexp_replace({{ model }}, '^([a-z0-9_-]+[./])+', ''), '-[0-9]{8}(-v[0-9]+(:[0-9]+)?)?$', '')
    ]
{%- endmacro %}

{% macro prune_affected_responses() -%}
    {#- The rows of the sessions this run computes again: some of their responses may have gone
        (a rewritten file) or moved to a copy in another session. -#}
    {% if is_incremental() %}
    delete from {{ this }} where session_id in ({{ affected_response_sessions() }})
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}

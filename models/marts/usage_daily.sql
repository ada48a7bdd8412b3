-- depends_on: {{ ref('assistant_responses') }}
{{ config(materialized='table') }}

{#-
    Token usage and its API-price estimate per local day, project and model, the figures of
    `ccusage daily --breakdown`. The local day is in $CHATLAKE_TIMEZONE (an IANA name) when it is
    set for the build, else in the machine's zone, as ccusage does; the table is rebuilt by every
    import. For another zone, group assistant_responses.created_at yourself.
-#}

{%- set timezone = env_var('CHATLAKE_TIMEZONE', '') %}

with responses as (
    select *
    from {{ ref('assistant_responses') }}
    where has_usage and not is_synthetic and created_at is not null
),

dated as (
    select
        responses.*,
        {% if timezone %}
        timezone('{{ timezone }}', created_at)::date as usage_date,
        {% else %}
        created_at::date as usage_date,
        {% endif %}
        -- ccusage's model name: fast mode is a model of its own
        model || case when speed = 'fast' then '-fast' else '' end as model_name
    from responses
),

final as (
    select
        usage_date,
        source,
        project_path,
        model_name as model,
        count(*) as response_count,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cache_creation_tokens)::bigint as cache_creation_tokens,
        sum(cache_creation_5m_tokens)::bigint as cache_creation_5m_tokens,
        sum(cache_creation_1h_tokens)::bigint as cache_creation_1h_tokens,
        sum(cache_read_tokens)::bigint as cache_read_tokens,
        sum(total_tokens)::bigint as total_tokens,
        sum(web_search_requests)::bigint as web_search_requests,
        sum(cost_usd) as cost_usd,
        count(*) filter (where cost_usd is null) as unpriced_response_count,
        {% if timezone %}'{{ timezone }}'{% else %}current_setting('TimeZone'){% endif %} as timezone
    from dated
    group by usage_date, source, project_path, model_name
)

select * from final

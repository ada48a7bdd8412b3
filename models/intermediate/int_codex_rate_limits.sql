-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ prune_touched_agent_sessions() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#- Every rate-limit snapshot a Codex `token_count` event carries (FORMAT-NOTES.md 1.8): account
    state over time, never summed. Flat fields of some versions (`primary_used_percent`) are read too. -#}

-- materialized on an increment: the JSON test below would otherwise parse every thread's events
with session_events as {% if is_incremental() %}materialized {% endif %}(
    select *
    from {{ ref('stg_codex__lines') }}
    where record_kind = 'event_msg' and payload_type = 'token_count' and {{ agent_sessions_filter() }}
),

events as (
    select * from session_events where json_type(payload -> 'rate_limits') = 'OBJECT'
),

final as (
    select
        session_id,
        created_at,
        payload -> 'rate_limits' ->> 'limit_id' as limit_id,
        payload -> 'rate_limits' ->> 'plan_type' as plan_type,
        {% for window in ['primary', 'secondary'] %}
        try_cast(coalesce(payload -> 'rate_limits' -> '{{ window }}' ->> 'used_percent',
                          payload -> 'rate_limits' ->> '{{ window }}_used_percent') as double) as {{ window }}_used_percent,
        try_cast(coalesce(payload -> 'rate_limits' -> '{{ window }}' ->> 'window_minutes',
                          payload -> 'rate_limits' ->> '{{ window }}_window_minutes') as bigint) as {{ window }}_window_minutes,
        coalesce(
            {{ plausible_time_from_epoch("try_cast(payload -> 'rate_limits' -> '" ~ window ~ "' ->> 'resets_at' as double)") }},
            created_at + to_seconds(try_cast(payload -> 'rate_limits' -> '{{ window }}' ->> 'resets_in_seconds' as bigint))
        ) as {{ window }}_resets_at,
        {% endfor %}
        payload -> 'rate_limits' as rate_limits,
        source_file,
        byte_offset,
        load_id
    from events
)

select * from final

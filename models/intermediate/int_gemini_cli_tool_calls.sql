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

{#- One row per tool call of a Gemini CLI response as the session holds it now (its message's last
    write), with the call's recorded result. -#}

-- materialized on an increment: the JSON test below would otherwise run on every session's messages
with session_responses as {% if is_incremental() %}materialized {% endif %}(
    select *
    from {{ ref('int_gemini_cli_messages_replayed') }}
    where message_type = 'gemini' and {{ agent_sessions_filter() }}
),

responses as (
    select * from session_responses where json_type(record -> 'toolCalls') = 'ARRAY'
),

calls as (
    select
        responses.session_id,
        responses.message_id,
        responses.source_file,
        responses.byte_offset,
        responses.load_id,
        responses.created_at as message_at,
        unnest(json_extract(record, '$.toolCalls[*]')) as call
    from responses
),

-- measured before the ranking, so that no call's result is carried through it
measured as (
    select
        'gemini_cli:' || session_id || ':' || coalesce(call ->> 'id', message_id || ':' || (call ->> 'name')) as tool_use_id,
        session_id,
        message_id,
        call ->> 'name' as tool_name,
        call -> 'args' as input,
        coalesce({{ plausible_time("try_cast(call ->> 'timestamp' as timestamptz)") }}, message_at) as called_at,
        case when (call -> 'result') is not null and json_type(call -> 'result') <> 'NULL' then
            coalesce({{ plausible_time("try_cast(call ->> 'timestamp' as timestamptz)") }}, message_at) end as result_at,
        (call -> 'result') is not null and json_type(call -> 'result') <> 'NULL' as has_result,
        call ->> 'status' in ('error', 'cancelled') as is_error,
        case when (call -> 'result') is not null and json_type(call -> 'result') <> 'NULL'
            then octet_length(encode((call -> 'result')::varchar)) end as result_bytes,
        source_file,
        byte_offset,
        load_id
    from calls
),

final as (
    select *
    from measured
    qualify row_number() over (partition by tool_use_id order by byte_offset) = 1
)

select * from final

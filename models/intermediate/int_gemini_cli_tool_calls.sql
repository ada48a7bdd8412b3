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

with session_responses as (
    select *
    from {{ ref('int_gemini_cli_messages_replayed') }}
    where message_type = 'gemini' and {{ agent_sessions_filter() }}
),

-- `toolCalls` that is no array has no element: no call
calls as (
    select
        responses.session_id,
        responses.message_id,
        responses.source_file,
        responses.byte_offset,
        responses.load_id,
        responses.created_at as message_at,
        unnest(json_extract(record, '$.toolCalls[*]')) as call
    from session_responses as responses
),

-- each call's JSON (its result included) parsed once for every field read
fields as (
    select
        calls.* exclude (call),
        json_extract(call, ['$.id', '$.name', '$.timestamp', '$.status', '$.args', '$.result']) as parts
    from calls
),

called as (
    select
        fields.* exclude (parts),
        parts[1] ->> '$' as call_id,
        parts[2] ->> '$' as tool_name,
        parts[4] ->> '$' as status,
        parts[5] as input,
        parts[6] as result,
        -- a JSON null comes out as the text `null`
        parts[6] is not null and parts[6]::varchar <> 'null' as has_result,
        coalesce({{ plausible_time("try_cast(parts[3] ->> '$' as timestamptz)") }}, message_at) as called_at
    from fields
),

-- measured before the ranking, so that no call's result is carried through it
measured as (
    select
        'gemini_cli:' || session_id || ':' || coalesce(call_id, message_id || ':' || tool_name) as tool_use_id,
        session_id,
        message_id,
        tool_name,
        input,
        called_at,
        case when has_result then called_at end as result_at,
        has_result,
        status in ('error', 'cancelled') as is_error,
        case when has_result then strlen(result::varchar) end as result_bytes,
        source_file,
        byte_offset,
        load_id
    from called
),

final as (
    select *
    from measured
    qualify row_number() over (partition by tool_use_id order by byte_offset) = 1
)

select * from final

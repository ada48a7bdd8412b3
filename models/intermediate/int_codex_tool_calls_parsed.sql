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

{#- Each Codex tool call (function, custom and built-in tool calls) with its output, found by
    `call_id` in its own thread, and whether a fork or sub-agent copied it from its parent.
    Computed per thread: int_codex_tool_calls keeps one copy of each call across threads. -#}

{#- `lines` is read twice: not materialized, so that each reader parses only the lines it keeps
    (materialized, it held every call's and output's line, and its payload, 2.5x slower on 1 GiB) -#}
with lines as not materialized (
    select *
    from {{ ref('stg_codex__lines') }}
    where record_kind = 'response_item' and {{ agent_sessions_filter() }}
),

threads as (
    select session_id, is_fork, is_subagent, replay_second from {{ ref('int_codex_threads') }}
    where {{ agent_sessions_filter() }}
),

calls as (
    select
        lines.*,
        coalesce(payload ->> 'call_id', payload ->> 'id', lines.session_id || ':' || line_no::varchar) as call_key,
        (line -> 'metadata' ->> 'inherited_user_message') = 'true'
            or (coalesce(threads.is_fork or threads.is_subagent, false) and date_trunc('second', lines.created_at) = threads.replay_second)
            as is_inherited,
        coalesce(threads.is_subagent, false) as is_subagent
    from lines
    left join threads on threads.session_id = lines.session_id
    where payload_type in ('function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call',
                           'tool_search_call', 'image_generation_call')
),

-- each output's line parsed once, for its two fields at either generation's place (an output
-- that is no JSON string, as a few versions write it, is kept as its JSON text); an output
-- without a call_id matches no call below
output_parts as (
    select
        session_id,
        byte_offset,
        created_at,
        is_older_generation,
        json_extract_string(line, ['$.call_id', '$.output', '$.payload.call_id', '$.payload.output']) as parts
    from lines
    where payload_type in ('function_call_output', 'custom_tool_call_output', 'tool_search_output')
),

output_texts as (
    select
        session_id,
        byte_offset,
        case when is_older_generation then parts[1] else parts[3] end as call_key,
        created_at,
        case when is_older_generation then parts[2] else parts[4] end as output_text
    from output_parts
),

-- measured before the ranking, so that no output's text is carried through it
measured_outputs as (
    select
        session_id,
        byte_offset,
        call_key,
        created_at,
        try_cast(try(json_extract_string(output_text, '$.metadata.exit_code')) as integer) <> 0 as is_error,
        strlen(output_text) as result_bytes
    from output_texts
),

outputs as (
    select *
    from measured_outputs
    qualify row_number() over (partition by session_id, call_key order by byte_offset) = 1
),

final as (
    select
        calls.call_key,
        calls.session_id,
        calls.is_subagent,
        calls.is_inherited,
        coalesce(calls.payload ->> 'name', regexp_replace(calls.payload_type, '_call$', '')) as tool_name,
        case
            when calls.payload_type = 'function_call' then coalesce(try(json(calls.payload ->> 'arguments')),
                                                                    to_json(calls.payload ->> 'arguments'))
            when calls.payload_type = 'custom_tool_call' then to_json(calls.payload ->> 'input')
            else coalesce(calls.payload -> 'action', calls.payload)
        end as input,
        calls.created_at as called_at,
        outputs.created_at as result_at,
        outputs.call_key is not null as has_result,
        outputs.is_error,
        outputs.result_bytes,
        calls.source_file,
        calls.byte_offset,
        calls.load_id
    from calls
    left join outputs
        on outputs.session_id = calls.session_id and outputs.call_key = calls.call_key
)

select * from final

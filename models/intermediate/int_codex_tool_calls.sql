{#- One row per Codex tool call (function, custom and built-in tool calls), with its output found
    by `call_id`. A call a fork or sub-agent copied from its parent counts once, at the parent's copy. -#}

with lines as (
    select *
    from {{ ref('stg_codex__lines') }}
    where record_kind = 'response_item'
),

threads as (
    select session_id, is_fork, is_subagent, replay_second from {{ ref('int_codex_threads') }}
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

first_calls as (
    select *
    from calls
    qualify row_number() over (
        partition by call_key order by is_inherited, created_at nulls last, source_file, byte_offset
    ) = 1
),

outputs as (
    select
        session_id,
        payload ->> 'call_id' as call_key,
        created_at,
        case when json_type(payload -> 'output') = 'VARCHAR' then payload ->> 'output' else (payload -> 'output')::varchar end
            as output_text
    from lines
    where payload_type in ('function_call_output', 'custom_tool_call_output', 'tool_search_output')
        and payload ->> 'call_id' is not null
    qualify row_number() over (partition by session_id, payload ->> 'call_id' order by byte_offset) = 1
),

final as (
    select
        'codex:' || first_calls.call_key as tool_use_id,
        first_calls.session_id,
        first_calls.is_subagent,
        coalesce(first_calls.payload ->> 'name', regexp_replace(first_calls.payload_type, '_call$', '')) as tool_name,
        case
            when first_calls.payload_type = 'function_call' then coalesce(try(json(first_calls.payload ->> 'arguments')),
                                                                          to_json(first_calls.payload ->> 'arguments'))
            when first_calls.payload_type = 'custom_tool_call' then to_json(first_calls.payload ->> 'input')
            else coalesce(first_calls.payload -> 'action', first_calls.payload)
        end as input,
        first_calls.created_at as called_at,
        outputs.created_at as result_at,
        outputs.call_key is not null as has_result,
        try_cast(try(json_extract_string(outputs.output_text, '$.metadata.exit_code')) as integer) <> 0 as is_error,
        octet_length(encode(outputs.output_text)) as result_bytes,
        first_calls.source_file,
        first_calls.byte_offset,
        first_calls.load_id
    from first_calls
    left join outputs
        on outputs.session_id = first_calls.session_id and outputs.call_key = first_calls.call_key
)

select * from final

{#- One row per Codex tool call, with its output (int_codex_tool_calls_parsed). A call a fork or
    sub-agent copied from its parent counts once, at the parent's copy. A view: the copies are
    looked for across every thread. -#}

with calls as (
    select * from {{ ref('int_codex_tool_calls_parsed') }}
),

-- ranked on the keys alone, so that a build reading a few threads carries no other thread's input
winners as (
    select source_file, byte_offset
    from calls
    qualify row_number() over (
        partition by call_key order by is_inherited, called_at nulls last, source_file, byte_offset
    ) = 1
),

first_calls as (
    select calls.*
    from calls
    semi join winners on winners.source_file = calls.source_file and winners.byte_offset = calls.byte_offset
),

final as (
    select
        'codex:' || call_key as tool_use_id,
        session_id,
        is_subagent,
        tool_name,
        input,
        called_at,
        result_at,
        has_result,
        is_error,
        result_bytes,
        source_file,
        byte_offset,
        load_id
    from first_calls
)

select * from final

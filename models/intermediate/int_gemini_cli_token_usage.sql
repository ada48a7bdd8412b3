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

{#-
    One row per Gemini CLI response with tokens (FORMAT-NOTES.md 2.6): each `gemini` message's own
    usage, its last write per id. A rewound message was billed, so it counts although the session
    no longer shows it. `input` includes `cached` when `total` says so (input + output + thoughts
    + tool = total, as ccusage checks); `thoughts` are billed as output and `tool` as input.
-#}

-- materialized on an increment: the JSON test below would otherwise run on every session's records
with session_writes as {% if is_incremental() %}materialized {% endif %}(
    select *
    from {{ ref('stg_gemini_cli__records') }}
    where record_kind = 'message' and message_type = 'gemini' and {{ agent_sessions_filter() }}
),

-- the record (its tool results included) parsed once for the four fields read, and left out of the
-- ranking; materialized, or DuckDB would parse it again for the test on `tokens` below
fields as materialized (
    select
        session_writes.* exclude (record),
        json_extract(record, ['$.tokens', '$.model', '$.content', '$.thoughts']) as parts
    from session_writes
),

writes as (
    select
        fields.* exclude (parts),
        parts[1] as tokens,
        parts[2] ->> '$' as model,
        parts[3] as content,
        parts[4] as thoughts
    from fields
    where json_type(parts[1]) = 'OBJECT'
),

latest as (
    select *
    from writes
    qualify row_number() over (
        partition by session_id, message_id order by ends_with(source_file, '.jsonl') desc, position desc
    ) = 1
),

numbers as (
    select
        latest.*,
        {% for field in ['input', 'output', 'cached', 'thoughts', 'tool', 'total'] %}
        coalesce(try_cast(tokens ->> '{{ field }}' as bigint), 0) as t_{{ field }},
        {% endfor %}
        -- the reply as its last write has it: a string (v0.2) or parts whose text is shown
        nullif(trim(case json_type(content)
            when 'VARCHAR' then content ->> '$'
            when 'ARRAY' then array_to_string(list_filter(
                list_transform(json_extract(content, '$[*]'),
                               lambda p: case when json_type(p) = 'VARCHAR' then p ->> '$' else p ->> 'text' end),
                lambda t: t is not null), chr(10))
        end), '') as text,
        coalesce(json_array_length(thoughts), 0) > 0 as has_reasoning
    from latest
),

final as (
    select
        'gemini_cli:' || session_id || ':' || message_id as response_id,
        session_id,
        message_id,
        model,
        created_at,
        case when t_total = t_input + t_output + t_thoughts + t_tool then greatest(t_input - t_cached, 0) else t_input end
            + t_tool as fresh_input_tokens,
        t_cached as cached_input_tokens,
        t_output + t_thoughts as output_tokens,
        t_thoughts as reasoning_output_tokens,
        t_total,
        text,
        has_reasoning,
        source_file,
        byte_offset,
        load_id
    from numbers
    where t_input + t_output + t_cached + t_thoughts + t_tool > 0
)

select * from final

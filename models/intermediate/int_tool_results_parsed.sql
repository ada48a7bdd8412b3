{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_file', 'byte_offset', 'block_index'],
        pre_hook="{{ prune_rewritten_lines() }}",
    )
}}

{#-
    Every `tool_result` block of the `user` records (FORMAT.md 5.5), parsed once, with the
    record's `toolUseResult.agentId` (the sub-agent a Task/Agent call ran). The result's text
    is measured, not kept: it stays in raw.lines. Incremental by load.
-#}

with records as (
    select *
    from {{ ref('stg_claude_code__lines') }}
    where record_type = 'user'
        and (has_tool_use_result or contains(line::varchar, '"tool_result"'))
    {% if is_incremental() %}
        and load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
),

parsed as (
    select
        records.* exclude (line),
        json_transform(line, '{"message": {"content": "JSON"}, "toolUseResult": "JSON"}') as r
    from records
),

blocks as (
    select
        parsed.* exclude (r),
        case when json_type(r.toolUseResult) = 'OBJECT' then r.toolUseResult ->> 'agentId' end as subagent_id,
        unnest(case when json_type(r.message.content) = 'ARRAY'
            then json_transform(r.message.content, '[{"type": "VARCHAR", "tool_use_id": "VARCHAR", "content": "JSON", "is_error": "BOOLEAN"}]')
            else [] end) as block,
        generate_subscripts(case when json_type(r.message.content) = 'ARRAY'
            then json_extract(r.message.content, '$[*]') else [] end, 1) as block_index
    from parsed
),

results as (
    select
        blocks.* exclude (block),
        block.tool_use_id,
        coalesce(block.is_error, false) as is_error,
        case when json_type(block.content) = 'VARCHAR' then block.content ->> '$' end as result_text,
        block.content as result_json
    from blocks
    where block.type = 'tool_result' and block.tool_use_id is not null
),

final as (
    select
        load_id,
        source_file,
        byte_offset,
        block_index,
        uuid,
        session_id,
        agent_id,
        is_sidechain,
        created_at,
        tool_use_id,
        is_error,
        coalesce(strlen(result_text), strlen(result_json::varchar), 0) as result_bytes,
        -- a large output Claude Code keeps in <session>/tool-results/: the path, not the file
        nullif(regexp_extract(result_text, '<persisted-output>.*?saved to: (\S+)', 1), '') as persisted_output_path,
        subagent_id
    from results
)

select * from final

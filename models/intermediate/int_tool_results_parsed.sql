{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_file', 'byte_offset', 'block_index'],
        pre_hook="{{ prune_rewritten_lines() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    Every `tool_result` block of the `user` records (FORMAT.md 5.5), with the record's
    `toolUseResult.agentId` (the sub-agent a Task/Agent call ran). The results are most of a
    transcript's bytes: each line is parsed once, into the few fields needed, and the result's
    text is measured, not kept (it stays in raw.lines). Incremental by load.
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
    -- a block's content as VARCHAR: a string result's text, or the JSON of its blocks
    select
        records.* exclude (line),
        json_transform(line, '{"message": {"content": [{"type": "VARCHAR", "tool_use_id": "VARCHAR",
            "is_error": "BOOLEAN", "content": "VARCHAR"}]}, "toolUseResult": {"agentId": "VARCHAR"}}') as r
    from records
),

blocks as (
    select
        parsed.* exclude (r),
        r.toolUseResult.agentId as subagent_id,
        unnest(coalesce(r.message.content, [])) as block,
        generate_subscripts(coalesce(r.message.content, []), 1) as block_index
    from parsed
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
        block.tool_use_id,
        coalesce(block.is_error, false) as is_error,
        coalesce(strlen(block.content), 0) as result_bytes,
        -- a large output Claude Code keeps in <session>/tool-results/: the path, not the file
        case when starts_with(block.content, '<persisted-output>')
            then nullif(regexp_extract(block.content, 'saved to: (\S+)', 1), '')
        end as persisted_output_path,
        subagent_id
    from blocks
    where block.type = 'tool_result' and block.tool_use_id is not null
)

select * from final

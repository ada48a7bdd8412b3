{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_file', 'byte_offset'],
        pre_hook="{{ prune_rewritten_lines() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    The one place that decides what a human typed (FORMAT.md section 7.2). Every `user`
    record is kept with the reason it is not a human message, or none. Injected prefixes
    and wrapper tags come from the `injected_markers` seed.
-#}

with records as (
    select *
    from {{ ref('stg_claude_code__lines') }}
    where record_type = 'user'
    {% if is_incremental() %}
        and load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
),

markers as (
    select marker, match_type from {{ ref('injected_markers') }}
),

wrapper_tags as (
    select coalesce(list(marker order by marker), []::varchar[]) as tags
    from markers
    where match_type = 'wrapper'
),

prefixes as (
    select coalesce(list(marker order by marker), []::varchar[]) as markers
    from markers
    where match_type = 'prefix'
),

content as (
    -- Tool results are most of the bytes and never human: leave their content unparsed.
    select
        records.*,
        case when not has_tool_use_result then records.line -> '$.message.content' end as content_json,
        case when not has_tool_use_result then json_type(records.line -> '$.message.content') end as content_type
    from records
),

blocks as (
    select
        content.*,
        case when content_type = 'ARRAY' then json_extract(content_json, '$[*]') else []::json[] end as block_list
    from content
),

measured as (
    select
        blocks.*,
        coalesce(list_bool_or(list_transform(block_list, lambda b: coalesce(b ->> 'type', '') = 'tool_result')), false)
            as has_tool_result_block,
        len(list_filter(block_list, lambda b: b ->> 'type' = 'image')) as image_count,
        len(list_filter(block_list, lambda b: b ->> 'type' = 'document')) as document_count,
        case
            when content_type = 'VARCHAR' then content_json ->> '$'
            when content_type = 'ARRAY' then array_to_string(
                list_filter(
                    list_transform(block_list, lambda b: case
                        when json_type(b) = 'VARCHAR' then b ->> '$'
                        when b ->> 'type' = 'text' then b ->> 'text'
                    end),
                    lambda t: t is not null
                ),
                chr(10)
            )
        end as raw_text
    from blocks
),

unwrapped as (
    select
        measured.*,
        trim(
            list_reduce(
                list_prepend(coalesce(raw_text, ''), (select tags from wrapper_tags)),
                -- the pattern is built per row, so it is only compiled where the tag occurs
                lambda acc, tag: case when contains(acc, '<' || tag) then
                    regexp_replace(acc, '(?s)<' || tag || '(\s[^>]*)?>.*?</' || tag || '>', '', 'g')
                    else acc end
            ),
            ' ' || chr(9) || chr(10) || chr(13)
        ) as text
    from measured
),

judged as (
    select
        unwrapped.*,
        case
            when coalesce(message_role, '') <> 'user' then 'not a user message'
            when is_sidechain then 'sidechain'
            when agent_id is not null then 'sub-agent'
            when is_meta then 'meta'
            when is_compact_summary then 'compact summary'
            when has_tool_result_block or has_tool_use_result then 'tool result'
            when text = '' and image_count + document_count = 0 then 'empty'
            when list_bool_or(list_transform((select markers from prefixes), lambda m: starts_with(unwrapped.text, m)))
                then 'injected text'
        end as exclusion_reason
    from unwrapped
),

classified as (
    select
        judged.*,
        case
            when text like '%<command-name>%' then 'command'
            when starts_with(text, '<bash-input>') then 'bash'
            when starts_with(text, '<user-memory-input>') then 'memory'
            else 'prompt'
        end as kind
    from judged
),

rendered as (
    select
        classified.*,
        case kind
            when 'command' then
                '/' || ltrim(trim(regexp_extract(text, '(?s)<command-name>(.*?)</command-name>', 1)), '/')
                || coalesce(' ' || nullif(trim(regexp_extract(text, '(?s)<command-args>(.*?)</command-args>', 1)), ''), '')
            when 'bash' then trim(regexp_extract(text, '(?s)<bash-input>(.*?)(</bash-input>|$)', 1))
            when 'memory' then trim(regexp_extract(text, '(?s)<user-memory-input>(.*?)(</user-memory-input>|$)', 1))
            else text
        end as rendered_content
    from classified
),

final as (
    select
        load_id,
        source_file,
        byte_offset,
        line_no,
        uuid,
        session_id,
        created_at,
        project_path,
        git_branch,
        claude_version,
        exclusion_reason is null as is_human,
        exclusion_reason,
        kind,
        rendered_content as content,
        image_count,
        document_count
    from rendered
)

select * from final

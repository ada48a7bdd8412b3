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
    The one place that decides what a person typed into Gemini CLI (FORMAT-NOTES.md 2.5): each
    `user` message a session holds now is judged on what was shown (`displayContent`, else
    `content`), with the reason it is not a human message, or none. Prefixes come from the
    `gemini_cli_injected_markers` seed.
-#}

with messages as (
    select * from {{ ref('int_gemini_cli_messages_replayed') }}
    where {{ agent_sessions_filter() }}
),

sessions as (
    select * from {{ ref('int_gemini_cli_sessions') }}
    where {{ agent_sessions_filter() }}
),

markers as (
    select marker from {{ ref('gemini_cli_injected_markers') }} where match_type = 'prefix'
),

-- the record (a response's tool results included) parsed once, and not carried further
shown as (
    select
        messages.* exclude (record),
        list_reduce(json_extract(record, ['$.displayContent', '$.content']), lambda a, b: coalesce(a, b)) as shown_json
    from messages
),

parts as (
    select
        shown.*,
        case json_type(shown_json)
            when 'VARCHAR' then [shown_json]
            when 'ARRAY' then json_extract(shown_json, '$[*]')
            else []::json[]
        end as part_list
    from shown
),

measured as (
    select
        parts.*,
        list_filter(
            list_transform(part_list, lambda p: case when json_type(p) = 'VARCHAR' then p ->> '$' else p ->> 'text' end),
            lambda t: t is not null
        ) as texts,
        len(list_filter(part_list, lambda p: (p -> 'functionResponse') is not null or (p -> 'functionCall') is not null))
            as tool_parts,
        len(list_filter(part_list, lambda p: starts_with(coalesce(p -> 'inlineData' ->> 'mimeType', ''), 'image/')))
            as image_count
    from parts
),

texted as (
    select
        measured.*,
        trim(array_to_string(texts, chr(10)), ' ' || chr(9) || chr(10) || chr(13)) as text
    from measured
),

judged as (
    select
        texted.*,
        sessions.project_path,
        case
            when message_type in ('info', 'error', 'warning') then 'notice'
            when coalesce(message_type, '') <> 'user' then 'not a user message'
            when sessions.kind = 'subagent' then 'sub-agent'
            when tool_parts > 0 and text = '' then 'tool response'
            when text = '' and image_count = 0 then 'empty'
            when exists (select 1 from markers where starts_with(texted.text, markers.marker)) then 'injected text'
        end as exclusion_reason
    from texted
    left join sessions on sessions.session_id = texted.session_id
),

final as (
    select
        load_id,
        source_file,
        position,
        'gemini_cli:' || session_id || ':' || message_id as message_uuid,
        session_id,
        message_id,
        created_at,
        project_path,
        exclusion_reason is null as is_human,
        exclusion_reason,
        'prompt' as kind,
        text as content,
        image_count::integer as image_count
    from judged
)

select * from final

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
    The one place that decides what a person typed into Codex CLI (FORMAT-NOTES.md 1.6). Every
    user-side message is kept with the reason it is not a human message, or none:
    `event_msg/user_message` events are the typed turns where a thread has them (Codex 0.32 on),
    the `response_item` user messages otherwise, each input text judged against the
    `codex_injected_markers` seed.
-#}

with lines as (
    select *
    from {{ ref('stg_codex__lines') }}
    where ((record_kind = 'event_msg' and payload_type = 'user_message')
           or (record_kind = 'response_item' and payload_type = 'message' and payload_role in ('user', 'developer', 'system')))
        and {{ agent_sessions_filter() }}
),

threads as (
    select * from {{ ref('int_codex_threads') }}
    where {{ agent_sessions_filter() }}
),

markers as (
    select marker, lower(marker) as lower_marker, match_type from {{ ref('codex_injected_markers') }}
),

candidates as (
    select
        lines.*,
        case
            when record_kind = 'event_msg' then [payload ->> 'message']
            else list_filter(
                list_transform(
                    coalesce(json_extract(payload, '$.content[*]'), []::json[]),
                    lambda b: case when b ->> 'type' in ('input_text', 'text', 'output_text') then b ->> 'text' end
                ),
                lambda t: t is not null
            )
        end as texts,
        case
            when record_kind = 'event_msg' then
                coalesce(json_array_length(payload -> 'images'), 0) + coalesce(json_array_length(payload -> 'local_images'), 0)
            else len(list_filter(coalesce(json_extract(payload, '$.content[*]'), []::json[]),
                                 lambda b: b ->> 'type' = 'input_image'))
        end as image_count
    from lines
),

exploded as (
    select
        source_file,
        byte_offset,
        generate_subscripts(texts, 1) as pos,
        unnest(texts) as text
    from candidates
),

items as (
    select
        exploded.*,
        trim(text, ' ' || chr(9) || chr(10) || chr(13)) as trimmed
    from exploded
),

judged_items as (
    select
        items.source_file,
        items.byte_offset,
        items.pos,
        items.text,
        exists (
            select 1 from markers
            where (markers.match_type = 'fragment'
                   and (starts_with(lower(items.trimmed), '<' || markers.lower_marker || '>')
                        or starts_with(lower(items.trimmed), '<' || markers.lower_marker || ' '))
                   and ends_with(lower(items.trimmed), '</' || markers.lower_marker || '>'))
               or (markers.match_type = 'prefix' and starts_with(items.trimmed, markers.marker))
        ) as is_context
    from items
),

typed as (
    select
        source_file,
        byte_offset,
        count(*) filter (where is_context) as context_items,
        string_agg(text, chr(10) order by pos) filter (where not is_context) as typed_text
    from judged_items
    group by source_file, byte_offset
),

request as (
    select marker from markers where match_type = 'request' limit 1
),

unwrapped as (
    select
        candidates.*,
        coalesce(typed.context_items, 0) as context_items,
        trim(
            case
                when (select marker from request) is not null and contains(typed.typed_text, (select marker from request))
                    then substr(typed.typed_text, strpos(typed.typed_text, (select marker from request))
                                + length((select marker from request)))
                else coalesce(typed.typed_text, '')
            end,
            ' ' || chr(9) || chr(10) || chr(13)
        ) as text
    from candidates
    left join typed
        on typed.source_file = candidates.source_file and typed.byte_offset = candidates.byte_offset
),

judged as (
    select
        unwrapped.*,
        threads.project_path,
        threads.git_branch,
        threads.cli_version,
        case
            when payload_role in ('developer', 'system') then 'developer context'
            when threads.is_subagent then 'sub-agent'
            when (line -> 'metadata' ->> 'inherited_user_message') = 'true' then 'inherited from the parent thread'
            when threads.is_fork and date_trunc('second', created_at) = threads.replay_second
                then 'inherited from the parent thread'
            when record_kind = 'response_item' and threads.has_user_events then 'recorded as a user_message event'
            when text = '' and image_count = 0 and context_items > 0 then 'injected context'
            when text = '' and image_count = 0 then 'empty'
        end as exclusion_reason
    from unwrapped
    left join threads on threads.session_id = unwrapped.session_id
),

final as (
    select
        load_id,
        source_file,
        byte_offset,
        line_no,
        'codex:' || session_id || ':' || line_no::varchar as message_uuid,
        session_id,
        created_at,
        project_path,
        git_branch,
        cli_version,
        exclusion_reason is null as is_human,
        exclusion_reason,
        'prompt' as kind,
        text as content,
        image_count::integer as image_count
    from judged
)

select * from final

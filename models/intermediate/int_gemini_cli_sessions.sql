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

{#- One row per Gemini CLI session: its metadata as last set (`$set` updates a metadata line). -#}

with records as (
    select * from {{ ref('stg_gemini_cli__records') }}
    where {{ agent_sessions_filter() }}
),

messages as (
    select * from {{ ref('int_gemini_cli_messages_replayed') }}
    where {{ agent_sessions_filter() }}
),

-- each record (a message's tool results included) parsed once for all the fields read
fields as (
    select
        session_id,
        record_kind,
        position,
        created_at,
        source_file,
        json_extract(record, ['$.kind', '$."$set".summary', '$.summary', '$."$set".directories', '$.directories']) as parts
    from records
),

parsed as (
    select
        fields.* exclude (parts),
        [parts[1] ->> '$', parts[2] ->> '$', parts[3] ->> '$'] as texts,
        [parts[4], parts[5]] as directories
    from fields
),

metadata as (
    select
        session_id,
        arg_max(texts[1], position) filter (where record_kind = 'metadata' and texts[1] is not null) as kind,
        arg_max(coalesce(texts[2], texts[3]), position) filter (where coalesce(texts[2], texts[3]) is not null)
            as summary,
        arg_max(coalesce(directories[1], directories[2]) ->> '$[0]', position)
            filter (where coalesce(directories[1], directories[2]) ->> '$[0]' is not null)
            as first_directory,
        min(created_at) filter (where record_kind = 'metadata') as started_at,
        max(created_at) filter (where record_kind in ('metadata', 'set')) as updated_at,
        arg_min(source_file, position) as any_file
    from parsed
    group by session_id
),

spans as (
    select
        session_id,
        min(created_at) as first_message_at,
        max(created_at) as last_message_at,
        count(*) as message_count,
        any_value(source_file) as source_file
    from messages
    group by session_id
),

final as (
    select
        metadata.session_id,
        coalesce(metadata.kind, 'main') as kind,
        metadata.summary,
        metadata.first_directory as project_path,
        coalesce(least(metadata.started_at, spans.first_message_at), metadata.started_at, spans.first_message_at)
            as first_at,
        coalesce(greatest(metadata.updated_at, spans.last_message_at), metadata.updated_at, spans.last_message_at)
            as last_at,
        coalesce(spans.message_count, 0) as record_count,
        coalesce(spans.source_file, metadata.any_file) as source_file
    from metadata
    left join spans on spans.session_id = metadata.session_id
)

select * from final

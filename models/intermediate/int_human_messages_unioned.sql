{#-
    Human messages of every source in one shape: Claude Code (deduplicated replays), Codex CLI,
    Gemini CLI and chat exports. An export message copied into another conversation counts once, in the conversation
    that had it first. `ordered_at` orders messages within a session: the record time for Claude
    Code, none for exports, whose branch position (`byte_offset`) is the order.
-#}

with claude_code as (
    select
        message_uuid,
        session_id,
        created_at,
        created_at as ordered_at,
        kind,
        content,
        image_count,
        project_path,
        git_branch,
        claude_version,
        source_file,
        byte_offset,
        load_id,
        'claude_code' as source
    from {{ ref('int_human_messages_deduped') }}
),

export_human as (
    select *
    from {{ ref('int_export_messages_classified') }}
    where is_human
),

export_ranked as (
    select
        export_human.*,
        row_number() over (
            partition by message_id
            order by created_at nulls last, conversation_created_at nulls last, conversation_id, position
        ) as copy_rank
    from export_human
),

exports as (
    select
        message_id as message_uuid,
        conversation_id as session_id,
        created_at,
        null::timestamptz as ordered_at,
        kind,
        content,
        image_count,
        null::varchar as project_path,
        null::varchar as git_branch,
        null::varchar as claude_version,
        source_file,
        position as byte_offset,
        load_id,
        source_kind as source
    from export_ranked
    where copy_rank = 1
),

codex as (
    select
        message_uuid,
        session_id,
        created_at,
        created_at as ordered_at,
        kind,
        content,
        image_count,
        project_path,
        git_branch,
        cli_version as claude_version,
        source_file,
        byte_offset,
        load_id,
        'codex' as source
    from {{ ref('int_codex_user_messages_classified') }}
    where is_human
),

gemini_cli as (
    select
        message_uuid,
        session_id,
        created_at,
        created_at as ordered_at,
        kind,
        content,
        image_count,
        project_path,
        null::varchar as git_branch,
        null::varchar as claude_version,
        source_file,
        -- a `.json` document's messages share one offset: their place in the session orders them
        position as byte_offset,
        load_id,
        'gemini_cli' as source
    from {{ ref('int_gemini_cli_user_messages_classified') }}
    where is_human
),

unioned as (
    select * from claude_code
    union all
    select * from exports
    {% if agent_model_built('int_codex_user_messages_classified') %}
    union all
    select * from codex
    {% endif %}
    {% if agent_model_built('int_gemini_cli_user_messages_classified') %}
    union all
    select * from gemini_cli
    {% endif %}
)

select * from unioned

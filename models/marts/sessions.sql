-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
-- depends_on: {{ ref('stg_claude_code__lines') }}
-- depends_on: {{ ref('int_human_messages_deduped') }}
-- depends_on: {{ ref('stg_exports__conversations') }}
-- depends_on: {{ ref('stg_exports__messages') }}
-- depends_on: {{ ref('int_human_messages_unioned') }}
-- depends_on: {{ ref('int_session_summaries') }}
-- depends_on: {{ ref('int_codex_threads') }}
-- depends_on: {{ ref('int_gemini_cli_sessions') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_id',
        pre_hook="{{ prune_vanished_sessions() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#- One row per session with at least one main-thread record, per Codex thread and Gemini CLI
    session that is no sub-agent's, and per export conversation with at least one message on its
    visible branch. -#}

{#- `lines` is read by several CTEs, so DuckDB materializes it: without the record's JSON (the
    titles below read it for their few records), which would be most of the transcripts' bytes held
    in memory, spilled under the build's memory cap (2.5x slower on 1 GiB). -#}
with
{% if is_incremental() %}
{#- the sessions to recompute, worked out once for the five sources below (each a pass over the
    raw lines' keys) -#}
affected as materialized (
    {{ affected_sessions() }}
),
{% endif %}

lines as (
    select session_id, uuid, is_sidechain, agent_id, project_path, git_branch, claude_version, created_at, source_file
    from {{ ref('stg_claude_code__lines') }}
    {% if is_incremental() %}
    where session_id in (select session_id from affected)
    {% endif %}
),

main_thread as (
    select *
    from lines
    where session_id is not null and uuid is not null and not is_sidechain and agent_id is null
),

activity as (
    select
        session_id,
        arg_min(project_path, coalesce(created_at, 'infinity'::timestamptz)) filter (where project_path is not null)
            as project_path,
        arg_max(git_branch, coalesce(created_at, '-infinity'::timestamptz)) filter (where git_branch is not null)
            as git_branch,
        arg_max(claude_version, coalesce(created_at, '-infinity'::timestamptz)) filter (where claude_version is not null)
            as claude_version,
        min(created_at) as first_at,
        max(created_at) as last_at,
        count(distinct uuid) as record_count,
        arg_min(source_file, coalesce(created_at, 'infinity'::timestamptz)) as source_file
    from main_thread
    group by session_id
),

named as (
    select
        session_id,
        arg_max(line ->> 'customTitle', byte_offset) filter (where record_type = 'custom-title') as custom_title,
        arg_max(line ->> 'aiTitle', byte_offset) filter (where record_type = 'ai-title') as ai_title
    from {{ ref('stg_claude_code__lines') }}
    where record_type in ('custom-title', 'ai-title')
    {% if is_incremental() %}
        and session_id in (select session_id from affected)
    {% endif %}
    group by session_id
),

summaries as (
    select
        main_thread.session_id,
        arg_max(summary.summary, summary.byte_offset) as summary_title
    from {{ ref('int_session_summaries') }} as summary
    inner join main_thread
        on main_thread.uuid = summary.leaf_uuid
    group by main_thread.session_id
),

conversations as (
    select *
    from {{ ref('stg_exports__conversations') }}
    where message_count > 0
    {% if is_incremental() %}
        and conversation_id in (select session_id from affected)
    {% endif %}
),

codex_threads as (
    select *
    from {{ ref('int_codex_threads') }}
    where not is_subagent
    {% if is_incremental() %}
        and session_id in (select session_id from affected)
    {% endif %}
),

gemini_cli_threads as (
    select *
    from {{ ref('int_gemini_cli_sessions') }}
    where kind <> 'subagent'
    {% if is_incremental() %}
        and session_id in (select session_id from affected)
    {% endif %}
),

messages as (
    select
        session_id,
        count(*) as human_message_count,
        arg_min(content, coalesce(created_at, 'infinity'::timestamptz)) filter (where kind = 'prompt' and content <> '')
            as first_prompt,
        arg_min(content, byte_offset) filter (where content <> '') as first_export_prompt
    from {{ ref('int_human_messages_unioned') }}
    {% if is_incremental() %}
    where session_id in (
        select session_id from activity
        union all select conversation_id from conversations
        {% if agent_model_built('int_codex_threads') %}
        union all select session_id from codex_threads
        {% endif %}
        {% if agent_model_built('int_gemini_cli_sessions') %}
        union all select session_id from gemini_cli_threads
        {% endif %}
    )
    {% endif %}
    group by session_id
),

claude_code_sessions as (
    select
        activity.session_id,
        activity.project_path,
        coalesce(
            nullif(trim(named.custom_title), ''),
            nullif(trim(named.ai_title), ''),
            nullif(trim(summaries.summary_title), ''),
            {{ shorten("regexp_replace(trim(messages.first_prompt), '\\s+', ' ', 'g')", 80) }}
        ) as title,
        activity.git_branch,
        activity.first_at,
        activity.last_at,
        coalesce(messages.human_message_count, 0) as human_message_count,
        activity.record_count,
        activity.claude_version,
        activity.source_file,
        'claude_code' as source
    from activity
    left join named on named.session_id = activity.session_id
    left join summaries on summaries.session_id = activity.session_id
    left join messages on messages.session_id = activity.session_id
),

export_sessions as (
    select
        conversations.conversation_id as session_id,
        null::varchar as project_path,
        coalesce(
            nullif(trim(conversations.title), ''),
            {{ shorten("regexp_replace(trim(messages.first_export_prompt), '\\s+', ' ', 'g')", 80) }}
        ) as title,
        null::varchar as git_branch,
        conversations.created_at as first_at,
        coalesce(conversations.updated_at, conversations.created_at) as last_at,
        coalesce(messages.human_message_count, 0) as human_message_count,
        conversations.message_count as record_count,
        null::varchar as claude_version,
        conversations.source_file,
        conversations.source_kind as source
    from conversations
    left join messages on messages.session_id = conversations.conversation_id
),

codex_sessions as (
    select
        codex_threads.session_id,
        codex_threads.project_path,
        coalesce(
            nullif(trim(codex_threads.thread_name), ''),
            {{ shorten("regexp_replace(trim(messages.first_prompt), '\\s+', ' ', 'g')", 80) }}
        ) as title,
        codex_threads.git_branch,
        codex_threads.first_at,
        codex_threads.last_at,
        coalesce(messages.human_message_count, 0) as human_message_count,
        codex_threads.record_count,
        codex_threads.cli_version as claude_version,
        codex_threads.source_file,
        'codex' as source
    from codex_threads
    left join messages on messages.session_id = codex_threads.session_id
),

gemini_cli_sessions as (
    select
        gemini_cli_threads.session_id,
        gemini_cli_threads.project_path,
        coalesce(
            nullif(trim(gemini_cli_threads.summary), ''),
            {{ shorten("regexp_replace(trim(messages.first_prompt), '\\s+', ' ', 'g')", 80) }}
        ) as title,
        null::varchar as git_branch,
        gemini_cli_threads.first_at,
        gemini_cli_threads.last_at,
        coalesce(messages.human_message_count, 0) as human_message_count,
        gemini_cli_threads.record_count,
        null::varchar as claude_version,
        gemini_cli_threads.source_file,
        'gemini_cli' as source
    from gemini_cli_threads
    left join messages on messages.session_id = gemini_cli_threads.session_id
),

final as (
    select * from claude_code_sessions
    union all
    select * from export_sessions
    {% if agent_model_built('int_codex_threads') %}
    union all
    select * from codex_sessions
    {% endif %}
    {% if agent_model_built('int_gemini_cli_sessions') %}
    union all
    select * from gemini_cli_sessions
    {% endif %}
)

select * from final

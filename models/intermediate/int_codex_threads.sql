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
    One row per Codex thread (a rollout file's session): what its own `session_meta` says (the
    first in the file; a fork copies its parent's after it), its latest model and name, its span.
-#}

with lines as (
    select * from {{ ref('stg_codex__lines') }}
    where {{ agent_sessions_filter() }}
),

spans as (
    select
        session_id,
        coalesce(bool_or(record_kind = 'event_msg' and payload_type = 'user_message'), false) as has_user_events,
        min(created_at) as first_at,
        max(created_at) as last_at,
        count(*) as record_count,
        arg_min(source_file, byte_offset) as source_file
    from lines
    group by session_id
),

-- the JSON is read from the few lines that hold what is wanted, not from every line
metas as (
    select session_id, arg_min(payload, byte_offset) as meta
    from lines
    where record_kind = 'session_meta'
    group by session_id
),

models as (
    select session_id, arg_max(payload ->> 'model', byte_offset) as model
    from lines
    where record_kind = 'turn_context'
    group by session_id
),

names as (
    select session_id, arg_max(payload ->> 'thread_name', byte_offset) as thread_name
    from lines
    where record_kind = 'event_msg' and payload_type = 'thread_name_updated'
    group by session_id
),

threads as (
    select spans.*, metas.meta, models.model, names.thread_name
    from spans
    left join metas on metas.session_id = spans.session_id
    left join models on models.session_id = spans.session_id
    left join names on names.session_id = spans.session_id
),

described as (
    select
        session_id,
        meta ->> 'cwd' as project_path,
        meta -> 'git' ->> 'branch' as git_branch,
        meta -> 'git' ->> 'commit_hash' as git_commit,
        meta ->> 'cli_version' as cli_version,
        meta ->> 'originator' as originator,
        -- a sub-agent's source is an object ({"subagent": …}); a person's is "cli", "vscode", …
        coalesce(json_type(meta -> 'source') = 'OBJECT' and (meta -> 'source' -> 'subagent') is not null, false)
            as is_subagent,
        meta ->> 'forked_from_id' is not null as is_fork,
        coalesce(meta ->> 'forked_from_id', meta -> 'source' -> 'subagent' -> 'thread_spawn' ->> 'parent_thread_id')
            as parent_thread_id,
        model,
        thread_name,
        has_user_events,
        coalesce(first_at, {{ plausible_time('try_cast(meta ->> \'timestamp\' as timestamptz)') }}) as first_at,
        coalesce(last_at, first_at, {{ plausible_time('try_cast(meta ->> \'timestamp\' as timestamptz)') }}) as last_at,
        -- a fork replays its parent's history in the second it was made (ccusage's rule)
        date_trunc('second', first_at) as replay_second,
        record_count,
        source_file
    from threads
)

select * from described

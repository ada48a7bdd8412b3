-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
-- depends_on: {{ ref('stg_claude_code__lines') }}
-- depends_on: {{ ref('int_human_messages_deduped') }}
-- depends_on: {{ ref('stg_exports__messages') }}
-- depends_on: {{ ref('stg_exports__conversations') }}
-- depends_on: {{ ref('int_human_messages_unioned') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_id',
        pre_hook="{{ prune_vanished_messages() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    One row per thing a human typed. Incremental: only sessions whose lines changed are
    recomputed. Indexes are stable: rows already here keep their index and new messages
    continue the sequence; a session is renumbered only when a message left it.
-#}

with messages as (
    select *
    from {{ ref('int_human_messages_unioned') }}
    {% if is_incremental() %}
    where session_id in ({{ affected_sessions() }})
    {% endif %}
),

{% if is_incremental() %}
existing as (
    select message_uuid, session_id, message_index
    from {{ this }}
    where session_id in (select distinct session_id from messages)
),

existing_sessions as (
    select
        session_id,
        count(*) as existing_count,
        max(message_index) as existing_max
    from existing
    group by session_id
),
{% endif %}

ordered as (
    select
        messages.*,
        row_number() over (
            partition by messages.session_id
            order by messages.ordered_at nulls last, messages.source_file, messages.byte_offset
        ) - 1 as full_index,
        {% if is_incremental() %}
        existing.message_index as kept_index,
        existing_sessions.existing_count = existing_sessions.existing_max + 1 as is_stable,
        existing_sessions.existing_max,
        row_number() over (
            partition by messages.session_id, existing.message_index is null
            order by messages.ordered_at nulls last, messages.source_file, messages.byte_offset
        ) - 1 as new_rank
        {% else %}
        null::bigint as kept_index,
        false as is_stable,
        null::bigint as existing_max,
        null::bigint as new_rank
        {% endif %}
    from messages
    {% if is_incremental() %}
    left join existing
        on existing.message_uuid = messages.message_uuid and existing.session_id = messages.session_id
    left join existing_sessions
        on existing_sessions.session_id = messages.session_id
    {% endif %}
),

final as (
    select
        message_uuid,
        session_id,
        case
            when is_stable and kept_index is not null then kept_index
            when is_stable then existing_max + 1 + new_rank
            else full_index
        end::bigint as message_index,
        created_at,
        kind,
        content,
        lower(sha256(content)) as content_hash,
        image_count::integer as image_count,
        project_path,
        git_branch,
        claude_version,
        source_file,
        source
    from ordered
)

select * from final

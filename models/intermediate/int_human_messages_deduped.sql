{#-
    Human messages, each uuid once: resumed sessions replay earlier records with the same
    uuid in a new file, so a message counts at its earliest copy, in that copy's session.
-#}

with human as (
    select *
    from {{ ref('int_user_records_classified') }}
    where is_human
),

keyed as (
    select
        human.*,
        coalesce(uuid, md5(source_file || ':' || byte_offset::varchar)) as message_uuid,
        min(created_at) over (partition by session_id) as session_started_at
    from human
),

ranked as (
    select
        keyed.*,
        row_number() over (
            partition by message_uuid
            order by created_at nulls last, session_started_at nulls last, source_file, byte_offset
        ) as copy_rank
    from keyed
),

final as (
    select
        message_uuid,
        session_id,
        created_at,
        kind,
        content,
        image_count,
        project_path,
        git_branch,
        claude_version,
        source_file,
        byte_offset,
        load_id
    from ranked
    where copy_rank = 1 and session_id is not null
)

select * from final

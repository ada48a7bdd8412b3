-- Longest sessions by wall-clock time and their messages.
with sessions as (
    select * from {{ ref('sessions') }}
),

timed as (
    select
        session_id,
        title,
        project_path,
        git_branch,
        first_at,
        last_at,
        round(date_diff('second', first_at, last_at) / 60.0, 1) as minutes,
        human_message_count
    from sessions
    where first_at is not null
)

select * from timed
order by minutes desc, human_message_count desc, session_id
limit 25

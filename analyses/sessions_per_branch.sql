-- Sessions per git branch, with their prompts and projects.
with sessions as (
    select * from {{ ref('sessions') }}
),

per_branch as (
    select
        coalesce(git_branch, '(none)') as git_branch,
        count(*) as sessions,
        sum(human_message_count) as human_messages,
        count(distinct project_path) as projects,
        max(last_at) as last_active_at
    from sessions
    group by 1
)

select * from per_branch
order by sessions desc, git_branch

-- Prompts per project: how much each was worked on, and when.
with prompts as (
    select * from {{ ref('human_messages') }}
    where kind = 'prompt'
),

per_project as (
    select
        project_path,
        count(*) as prompts,
        count(distinct session_id) as sessions,
        min(created_at) as first_prompt_at,
        max(created_at) as last_prompt_at
    from prompts
    group by 1
)

select * from per_project
order by prompts desc, project_path

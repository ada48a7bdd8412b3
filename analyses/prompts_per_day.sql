-- Prompts per day (local time), newest first, with sessions.
with prompts as (
    select * from {{ ref('human_messages') }}
    where kind = 'prompt'
),

per_day as (
    select
        cast(created_at as date) as day,
        count(*) as prompts,
        count(distinct session_id) as sessions
    from prompts
    group by 1
)

select * from per_day
order by day desc

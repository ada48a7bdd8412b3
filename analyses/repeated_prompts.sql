-- Prompts asked again: the same text in several sessions.
with prompts as (
    select * from {{ ref('human_messages') }}
    where kind = 'prompt'
),

repeated as (
    select
        content_hash,
        min(content) as content,
        count(distinct session_id) as sessions,
        count(*) as times,
        min(created_at) as first_asked_at,
        max(created_at) as last_asked_at
    from prompts
    group by 1
    having count(distinct session_id) > 1
)

select * from repeated
order by sessions desc, times desc, last_asked_at desc

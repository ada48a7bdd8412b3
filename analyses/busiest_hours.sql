-- Prompts per weekday and hour (local time), busiest first.
with prompts as (
    select * from {{ ref('human_messages') }}
    where kind = 'prompt'
),

slots as (
    select
        isodow(created_at) as weekday_number,
        dayname(created_at) as weekday,
        hour(created_at) as hour,
        count(*) as prompts
    from prompts
    group by 1, 2, 3
)

select weekday, hour, prompts from slots
order by prompts desc, weekday_number, hour

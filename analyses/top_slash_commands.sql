-- The most used slash commands (arguments left out).
with commands as (
    select * from {{ ref('human_messages') }}
    where kind = 'command'
),

named as (
    select
        regexp_extract(trim(content), '^(/[^\s]+)', 1) as command,
        session_id
    from commands
)

select
    command,
    count(*) as uses,
    count(distinct session_id) as sessions
from named
where command <> ''
group by 1
order by uses desc, command

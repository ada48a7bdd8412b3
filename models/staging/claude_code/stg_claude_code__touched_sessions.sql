-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('claude_code', 'touched_sessions') }}
),

renamed as (
    select distinct
        load_id,
        session_id
    from source
)

select * from renamed

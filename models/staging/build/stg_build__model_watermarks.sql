-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('build', 'model_watermarks') }}
),

renamed as (
    select
        model as model_name,
        load_id,
        built_at
    from source
)

select * from renamed

-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('exports', 'export_conversations') }}
),

renamed as (
    select
        load_id,
        source_kind,
        conversation_id,
        source_file,
        file_position,
        title,
        {{ plausible_time_from_epoch('created_epoch') }} as created_at,
        {{ plausible_time_from_epoch('updated_epoch') }} as updated_at,
        message_count
    from source
)

select * from renamed

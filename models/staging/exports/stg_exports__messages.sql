-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('exports', 'export_messages') }}
),

renamed as (
    select
        load_id,
        source_kind,
        conversation_id,
        position,
        message_id,
        parent_id,
        role,
        content_type,
        is_hidden,
        {{ plausible_time_from_epoch('created_epoch') }} as created_at,
        text,
        image_count,
        attachment_count,
        message
    from source
)

select * from renamed

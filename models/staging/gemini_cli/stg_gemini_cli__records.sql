-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('gemini_cli', 'records') }}
),

renamed as (
    select
        load_id,
        source_file,
        byte_offset,
        line_no,
        item_index,
        -- the order records were written in, within their file (rows from one line follow its offset)
        byte_offset * 1000000 + item_index as position,
        session_id,
        record_kind,
        message_id,
        message_type,
        {{ plausible_time('try_cast(record_timestamp as timestamptz)') }} as created_at,
        record
    from source
)

select * from renamed

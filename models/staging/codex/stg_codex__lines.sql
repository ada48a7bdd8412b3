{#-
    Rollout lines of both generations in one shape. From Codex 0.32 a line is an envelope
    `{timestamp, type, payload}`; before, the first line was the session's meta itself and the
    others bare Responses-API items (`{"type":"message",…}`) or `{"record_type":"state"}`.
-#}
-- depends_on: {{ ref('load_claude_code') }}

with source as (
    select * from {{ source('codex', 'lines') }}
),

generations as (
    select
        source.*,
        -- the Responses-API item types, which only the older generation has at the top level
        record_type in (
            'message', 'reasoning', 'function_call', 'function_call_output', 'custom_tool_call',
            'custom_tool_call_output', 'local_shell_call', 'web_search_call', 'tool_search_call',
            'tool_search_output', 'image_generation_call', 'ghost_snapshot', 'compaction'
        ) as is_bare_item
    from source
),

renamed as (
    select
        load_id,
        source_file,
        byte_offset,
        line_no,
        session_id,
        case
            when is_bare_item then 'response_item'
            when record_type is not null then record_type
            when line ->> 'record_type' = 'state' then 'state'
            when line ->> 'id' is not null then 'session_meta'
            else 'unknown'
        end as record_kind,
        case
            when is_bare_item then record_type
            -- a message without its `type` (some third-party writers leave it out) is still a message
            when record_type = 'response_item' and payload_type is null and payload_role is not null then 'message'
            else payload_type
        end as payload_type,
        case when is_bare_item then line ->> 'role' else payload_role end as payload_role,
        case when is_bare_item or record_type is null then line else line -> 'payload' end as payload,
        {{ plausible_time('try_cast(record_timestamp as timestamptz)') }} as created_at,
        record_type is null or is_bare_item as is_older_generation,
        line
    from generations
)

select * from renamed

-- depends_on: {{ ref('load_claude_code') }}
with source as (
    select * from {{ source('claude_code', 'lines') }}
),

renamed as (
    select
        load_id,
        source_file,
        byte_offset,
        line_no,
        record_type,
        uuid,
        parent_uuid,
        session_id,
        {{ plausible_time('try_cast(record_timestamp as timestamptz)') }} as created_at,
        is_sidechain,
        agent_id,
        is_meta,
        is_compact_summary,
        has_tool_use_result,
        message_role,
        cwd as project_path,
        git_branch,
        claude_version,
        line
    from source
)

select * from renamed

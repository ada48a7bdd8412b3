{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_file', 'byte_offset'],
        pre_hook="{{ prune_rewritten_lines() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    Every `summary` record with the message it summarises (`leafUuid`). Older Claude Code
    versions write a session's summary into another file, so `sessions` looks titles up by
    uuid across the whole warehouse; kept here, that lookup reads a few rows instead of
    every raw line's JSON on each incremental run.
-#}

with summaries as (
    select
        load_id,
        source_file,
        byte_offset,
        line ->> 'leafUuid' as leaf_uuid,
        line ->> 'summary' as summary
    from {{ ref('stg_claude_code__lines') }}
    where record_type = 'summary'
    {% if is_incremental() %}
        and load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
)

select * from summaries

{{ config(materialized='view') }}

{#- Codex CLI's rate-limit snapshots over time: account state, not usage (never summed). A view
    over the incremental int_codex_rate_limits: a table here was rebuilt whole by every import
    (0.3 s of a Codex append on 1 GiB). Made again by the whole build that follows a tool's
    first lines, when it stops being the empty stand-in below. -#}

with snapshots as (
    {% if agent_model_built('int_codex_rate_limits') %}
    select * from {{ ref('int_codex_rate_limits') }}
    {% else %}
    {#- a warehouse with no Codex CLI lines yet: the table is there, empty -#}
    select
        null::varchar as session_id, null::timestamptz as created_at, null::varchar as limit_id,
        null::varchar as plan_type, null::double as primary_used_percent, null::bigint as primary_window_minutes,
        null::timestamptz as primary_resets_at, null::double as secondary_used_percent,
        null::bigint as secondary_window_minutes, null::timestamptz as secondary_resets_at,
        null::json as rate_limits, null::varchar as source_file, null::bigint as byte_offset
    where false
    {% endif %}
),

final as (
    select
        session_id,
        created_at,
        limit_id,
        plan_type,
        primary_used_percent,
        primary_window_minutes,
        primary_resets_at,
        secondary_used_percent,
        secondary_window_minutes,
        secondary_resets_at,
        rate_limits,
        source_file,
        byte_offset
    from snapshots
)

select * from final

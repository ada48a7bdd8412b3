{{ config(materialized='table') }}

{#- Codex CLI's rate-limit snapshots over time: account state, not usage (never summed). Rebuilt by every build. -#}

with snapshots as (
    select * from {{ ref('int_codex_rate_limits') }}
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

{#-
    One row per Codex API response that used tokens (FORMAT-NOTES.md 1.7): the deltas of
    int_codex_token_counts_parsed that are neither repeats nor a fork's or sub-agent's inherited
    baseline. An event copied into another file (same time, same totals) counts once, in the
    active file that sorts first. A view: the copies are looked for across every thread. Cached input is part of input, reasoning part of output.
-#}

with events as (
    select * from {{ ref('int_codex_token_counts_parsed') }}
),

threads as (
    select session_id, first_at from {{ ref('int_codex_threads') }}
),

ranked as (
    select
        events.*,
        row_number() over (
            partition by events.created_at, events.totals_key, events.last_key
            order by ends_with(regexp_replace(events.source_file, '/[^/]*$', ''), '/archived_sessions'),
                threads.first_at nulls last, events.source_file, events.byte_offset
        ) as copy_rank
    from events
    left join threads on threads.session_id = events.session_id
),

final as (
    select
        'codex:' || session_id || ':' || line_no::varchar as response_id,
        session_id,
        model,
        created_at,
        input_tokens,
        least(cached_input_tokens, input_tokens) as cached_input_tokens,
        output_tokens,
        least(reasoning_output_tokens, output_tokens) as reasoning_output_tokens,
        input_tokens + output_tokens as total_tokens,
        text,
        has_reasoning,
        source_file,
        byte_offset,
        load_id
    from ranked
    where not is_repeat and not is_inherited
        and (copy_rank = 1 or created_at is null)
        and input_tokens + cached_input_tokens + output_tokens + reasoning_output_tokens > 0
)

select * from final

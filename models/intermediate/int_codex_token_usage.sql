{#-
    One row per Codex API response that used tokens, from the `token_count` events (FORMAT-NOTES.md
    1.7). Their `total_token_usage` is cumulative for the thread, so a response is the delta of
    the totals: an event repeating the previous totals (Codex re-emits them when only the rate
    limits changed) adds nothing, nor does the estimate written after a compaction (totals
    unchanged). A fork or sub-agent first replays its parent's events in the second it was made:
    they are its baseline, not its usage. An event copied into another file (same time, same
    totals) counts once, in the active file that sorts first. Without totals, `last_token_usage`
    counts unless all but its total are zero. Cached input is part of input, reasoning part of output.
-#}

with lines as (
    select *
    from {{ ref('stg_codex__lines') }}
    where (record_kind = 'event_msg' and payload_type = 'token_count') or record_kind = 'turn_context'
),

threads as (
    select session_id, is_fork, is_subagent, replay_second, first_at from {{ ref('int_codex_threads') }}
),

modelled as (
    select
        lines.*,
        last_value(case when record_kind = 'turn_context' then payload ->> 'model' end ignore nulls) over (
            partition by session_id order by byte_offset rows between unbounded preceding and current row
        ) as context_model
    from lines
),

events as (
    select
        modelled.*,
        payload -> 'info' -> 'total_token_usage' as total_usage,
        payload -> 'info' -> 'last_token_usage' as last_usage,
        coalesce(payload -> 'info' ->> 'model', context_model) as model
    from modelled
    where record_kind = 'event_msg' and json_type(payload -> 'info') = 'OBJECT'
),

numbers as (
    select
        events.*,
        {% for side in ['total', 'last'] %}
        coalesce(try_cast({{ side }}_usage ->> 'input_tokens' as bigint), 0) as {{ side }}_input,
        coalesce(try_cast({{ side }}_usage ->> 'cached_input_tokens' as bigint), 0) as {{ side }}_cached,
        coalesce(try_cast({{ side }}_usage ->> 'output_tokens' as bigint), 0) as {{ side }}_output,
        coalesce(try_cast({{ side }}_usage ->> 'reasoning_output_tokens' as bigint), 0) as {{ side }}_reasoning,
        {% endfor %}
        total_usage is not null as has_totals
    from events
),

chained as (
    select
        numbers.*,
        lag(total_usage::varchar) over chain as previous_totals,
        coalesce(lag(total_input) over chain, 0) as previous_input,
        coalesce(lag(total_cached) over chain, 0) as previous_cached,
        coalesce(lag(total_output) over chain, 0) as previous_output,
        coalesce(lag(total_reasoning) over chain, 0) as previous_reasoning
    from numbers
    where has_totals
    window chain as (partition by session_id order by byte_offset)
),

deltas as (
    select
        chained.*,
        previous_totals is not null and previous_totals = total_usage::varchar as is_repeat,
        greatest(total_input - previous_input, 0) as input_tokens,
        greatest(total_cached - previous_cached, 0) as cached_input_tokens,
        greatest(total_output - previous_output, 0) as output_tokens,
        greatest(total_reasoning - previous_reasoning, 0) as reasoning_output_tokens
    from chained
    union all by name
    select
        numbers.*,
        false as is_repeat,
        last_input as input_tokens,
        last_cached as cached_input_tokens,
        last_output as output_tokens,
        last_reasoning as reasoning_output_tokens
    from numbers
    where not has_totals
),

judged as (
    select
        deltas.*,
        coalesce(threads.is_fork or threads.is_subagent, false)
            and date_trunc('second', deltas.created_at) = threads.replay_second as is_inherited,
        row_number() over (
            partition by deltas.created_at, deltas.total_usage::varchar, coalesce(deltas.last_usage::varchar, '')
            order by ends_with(regexp_replace(deltas.source_file, '/[^/]*$', ''), '/archived_sessions'),
                threads.first_at nulls last, deltas.source_file, deltas.byte_offset
        ) as copy_rank
    from deltas
    left join threads on threads.session_id = deltas.session_id
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
        source_file,
        byte_offset,
        load_id
    from judged
    where not is_repeat and not is_inherited
        and (copy_rank = 1 or created_at is null)
        and input_tokens + cached_input_tokens + output_tokens + reasoning_output_tokens > 0
)

select * from final

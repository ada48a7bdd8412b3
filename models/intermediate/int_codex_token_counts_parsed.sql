-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ prune_touched_agent_sessions() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    Each Codex `token_count` event with usage, and its share of the thread's cumulative totals
    (FORMAT-NOTES.md 1.7): the delta from the event before, flagged when it repeats the previous
    totals (Codex re-emits them when only the rate limits changed; the estimate written after a
    compaction leaves them unchanged too) and when a fork or sub-agent replayed it from its parent
    in the second it was made (its baseline, not its usage). Without totals, `last_token_usage` is
    the delta. A thread is computed whole (its totals are cumulative): the threads an import
    touched, at each build. int_codex_token_usage counts what is left, once across files.
-#}

with lines as (
    select *
    from {{ ref('stg_codex__lines') }}
    where ((record_kind = 'event_msg' and payload_type = 'token_count') or record_kind = 'turn_context')
        and {{ agent_sessions_filter() }}
),

threads as (
    select session_id, is_fork, is_subagent, replay_second from {{ ref('int_codex_threads') }}
    where {{ agent_sessions_filter() }}
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

final as (
    select
        deltas.session_id,
        deltas.model,
        deltas.created_at,
        deltas.total_usage::varchar as totals_key,
        coalesce(deltas.last_usage::varchar, '') as last_key,
        deltas.is_repeat,
        coalesce(threads.is_fork or threads.is_subagent, false)
            and date_trunc('second', deltas.created_at) = threads.replay_second as is_inherited,
        deltas.input_tokens,
        deltas.cached_input_tokens,
        deltas.output_tokens,
        deltas.reasoning_output_tokens,
        deltas.line_no,
        deltas.source_file,
        deltas.byte_offset,
        deltas.load_id
    from deltas
    left join threads on threads.session_id = deltas.session_id
)

select * from final

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
    touched, at each build. int_codex_token_usage counts what is left, once across files. Each
    billed event carries the text of the replies it paid for.
-#}

with lines as (
    select *
    from {{ ref('stg_codex__lines') }}
    where ((record_kind = 'event_msg' and payload_type = 'token_count') or record_kind = 'turn_context'
           or (record_kind = 'response_item' and (payload_type = 'reasoning'
                                                  or (payload_type = 'message' and payload_role = 'assistant'))))
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

judged as (
    select
        deltas.*,
        coalesce(threads.is_fork or threads.is_subagent, false)
            and date_trunc('second', deltas.created_at) = threads.replay_second as is_inherited
    from deltas
    left join threads on threads.session_id = deltas.session_id
),

{#- A reply's text and reasoning belong to the response the next counted event bills: the
    assistant messages and reasoning items after the counted event before it. A fork's replay
    of its parent's replies is the parent's. -#}
replies as (
    select
        lines.session_id,
        lines.byte_offset,
        case when lines.payload_type = 'message' then array_to_string(list_filter(
            list_transform(coalesce(json_extract(lines.payload, '$.content[*]'), []::json[]),
                           lambda b: case when b ->> 'type' in ('output_text', 'text') then b ->> 'text' end),
            lambda t: t is not null), chr(10)) end as reply_text,
        lines.payload_type = 'reasoning' as is_reasoning
    from lines
    left join threads on threads.session_id = lines.session_id
    where lines.record_kind = 'response_item'
        and not (coalesce(threads.is_fork or threads.is_subagent, false)
                 and date_trunc('second', lines.created_at) = threads.replay_second)
),

billed as (
    select session_id, byte_offset
    from judged
    where not is_repeat and not is_inherited
        and input_tokens + cached_input_tokens + output_tokens + reasoning_output_tokens > 0
),

sequenced as (
    select
        session_id,
        byte_offset,
        reply_text,
        is_reasoning,
        is_billed,
        coalesce(sum(is_billed::integer) over (
            partition by session_id order by byte_offset rows between unbounded preceding and 1 preceding
        ), 0) as billed_before
    from (
        select session_id, byte_offset, reply_text, is_reasoning, false as is_billed from replies
        union all
        select session_id, byte_offset, null, false, true from billed
    )
),

replied as (
    select
        session_id,
        billed_before,
        string_agg(reply_text, chr(10) order by byte_offset) filter (where reply_text <> '') as text,
        bool_or(is_reasoning) as has_reasoning
    from sequenced
    where not is_billed
    group by session_id, billed_before
),

bills as (
    select sequenced.session_id, sequenced.byte_offset, replied.text, coalesce(replied.has_reasoning, false) as has_reasoning
    from sequenced
    left join replied on replied.session_id = sequenced.session_id and replied.billed_before = sequenced.billed_before
    where sequenced.is_billed
),

final as (
    select
        deltas.session_id,
        deltas.model,
        deltas.created_at,
        deltas.total_usage::varchar as totals_key,
        coalesce(deltas.last_usage::varchar, '') as last_key,
        deltas.is_repeat,
        deltas.is_inherited,
        deltas.input_tokens,
        deltas.cached_input_tokens,
        deltas.output_tokens,
        deltas.reasoning_output_tokens,
        bills.text,
        coalesce(bills.has_reasoning, false) as has_reasoning,
        deltas.line_no,
        deltas.source_file,
        deltas.byte_offset,
        deltas.load_id
    from judged as deltas
    left join bills on bills.session_id = deltas.session_id and bills.byte_offset = deltas.byte_offset
)

select * from final

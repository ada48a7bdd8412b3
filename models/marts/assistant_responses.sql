-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
-- depends_on: {{ ref('int_assistant_records_parsed') }}
-- depends_on: {{ ref('stg_exports__messages') }}
-- depends_on: {{ ref('stg_exports__conversations') }}
-- depends_on: {{ ref('int_model_prices') }}
-- depends_on: {{ ref('int_codex_token_usage') }}
-- depends_on: {{ ref('int_codex_threads') }}
-- depends_on: {{ ref('int_gemini_cli_token_usage') }}
-- depends_on: {{ ref('int_gemini_cli_sessions') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_id',
        pre_hook="{{ prune_affected_responses() }}",
        post_hook="{{ record_watermark() }}",
    )
}}

{#-
    One row per API response (FORMAT.md 5.3), counted the way ccusage 20 counts it: one copy per
    (message.id, requestId), or per message.id when requestId is missing; of the copies, the one
    with the largest token total; a sidechain copy of a main-thread response (a resumed sub-agent
    replays it with a new requestId) never counts. `<synthetic>` responses (written by Claude
    Code, not the API) are kept, flagged, at zero. The assistant messages of chat exports are
    responses too, without usage. Incremental: the sessions whose lines changed, and the sessions
    sharing a response with them, are computed again.
-#}

with

{% if is_incremental() %}
affected as (
    {{ affected_response_sessions() }}
),

scoped_ids as (
    select distinct message_id
    from {{ ref('int_assistant_records_parsed') }}
    where message_id is not null and session_id in (select session_id from affected)
),
{% endif %}

records as (
    select *
    from {{ ref('int_assistant_records_parsed') }}
    {% if is_incremental() %}
    where message_id in (select message_id from scoped_ids)
        or (message_id is null and session_id in (select session_id from affected))
        -- a record without sessionId belongs to no session an import touches: new ones join as they land
        or (session_id is null and load_id > {{ mart_watermark() }})
    {% endif %}
),

measured as (
    select
        records.*,
        coalesce(model = '<synthetic>', false) as is_synthetic,
        case when has_cache_split then cache_5m_split_tokens + cache_1h_split_tokens
             else coalesce(cache_creation_input_tokens, 0) end as cache_creation_tokens,
        bool_or(not is_sidechain) over (partition by message_id) as message_has_main
    from records
),

candidates as (
    select
        measured.*,
        case
            when message_id is null then 'line:' || source_file || ':' || byte_offset
            -- sidechain copies of one message are one response, whatever their requestId
            when is_sidechain then message_id
            else message_id || ':' || coalesce(request_id, '')
        end as response_id,
        case when has_usage then input_tokens + output_tokens + cache_creation_tokens
             + coalesce(cache_read_input_tokens, 0) else -1 end as copy_total
    from measured
    where message_id is null or not is_sidechain or not message_has_main
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by response_id
            order by copy_total desc, speed is not null desc, created_at nulls last, source_file, byte_offset
        ) as copy_rank
    from candidates
),

{#- A response's text and blocks are spread over its records; a replayed record (same uuid)
    counts once. -#}
blocks as (
    select *
    from candidates
    qualify row_number() over (
        partition by response_id, coalesce(uuid, source_file || ':' || byte_offset)
        order by source_file, byte_offset
    ) = 1
),

assembled as (
    select
        response_id,
        string_agg(text, chr(10) order by created_at, source_file, byte_offset) filter (where text <> '') as text,
        bool_or(has_thinking) as has_thinking,
        sum(len(tool_uses))::integer as tool_use_count,
        arg_max(stop_reason, byte_offset) filter (where stop_reason is not null) as stop_reason,
        count(*)::integer as record_count
    from blocks
    group by response_id
),

winners as (
    select
        ranked.*,
        case when is_synthetic or not has_usage then 0 else coalesce(input_tokens, 0) end as counted_input,
        case when is_synthetic or not has_usage then 0 else coalesce(output_tokens, 0) end as counted_output,
        case when is_synthetic or not has_usage then 0 else cache_creation_tokens end as counted_cache_creation,
        case when is_synthetic or not has_usage then 0
             when has_cache_split then cache_5m_split_tokens else coalesce(cache_creation_input_tokens, 0) end
            as counted_cache_5m,
        case when is_synthetic or not has_usage or not has_cache_split then 0 else cache_1h_split_tokens end
            as counted_cache_1h,
        case when is_synthetic or not has_usage then 0 else coalesce(cache_read_input_tokens, 0) end as counted_cache_read
    from ranked
    where copy_rank = 1
    {% if is_incremental() %}
        and (session_id in (select session_id from affected) or (session_id is null and load_id > {{ mart_watermark() }}))
    {% endif %}
),

claude_code as (
    select
        winners.response_id,
        'claude_code' as source,
        winners.session_id,
        winners.agent_id,
        winners.is_sidechain,
        winners.message_id,
        winners.request_id,
        winners.model,
        winners.created_at,
        winners.project_path,
        winners.git_branch,
        winners.claude_version,
        assembled.text,
        coalesce(assembled.has_thinking, false) as has_thinking,
        coalesce(assembled.tool_use_count, 0) as tool_use_count,
        assembled.stop_reason,
        winners.is_synthetic,
        winners.is_api_error,
        winners.has_usage,
        winners.counted_input as input_tokens,
        winners.counted_output as output_tokens,
        winners.counted_cache_creation as cache_creation_tokens,
        winners.counted_cache_5m as cache_creation_5m_tokens,
        winners.counted_cache_1h as cache_creation_1h_tokens,
        winners.counted_cache_read as cache_read_tokens,
        winners.counted_input + winners.counted_output + winners.counted_cache_creation + winners.counted_cache_read
            as total_tokens,
        null::bigint as reasoning_tokens,  -- part of the output, not reported apart
        coalesce(winners.web_search_requests, 0) as web_search_requests,
        coalesce(winners.web_fetch_requests, 0) as web_fetch_requests,
        winners.speed,
        winners.service_tier,
        winners.inference_geo,
        winners.recorded_cost_usd,
        assembled.record_count,
        winners.source_file,
        winners.byte_offset,
        winners.load_id
    from winners
    left join assembled on assembled.response_id = winners.response_id
),

{#- Chat exports: the assistant messages of the visible branch, without usage. -#}
export_messages as (
    select messages.*, conversations.source_file
    from {{ ref('stg_exports__messages') }} as messages
    inner join {{ ref('stg_exports__conversations') }} as conversations
        on conversations.source_kind = messages.source_kind
        and conversations.conversation_id = messages.conversation_id
    where messages.role = 'assistant' and not messages.is_hidden
    {% if is_incremental() %}
        and messages.conversation_id in (select session_id from affected)
    {% endif %}
),

exports as (
    select
        conversation_id || ':' || message_id as response_id,
        source_kind as source,
        conversation_id as session_id,
        null::varchar as agent_id,
        false as is_sidechain,
        message_id,
        null::varchar as request_id,
        nullif(coalesce(message ->> '$.metadata.model_slug', message ->> '$.model'), '') as model,
        created_at,
        null::varchar as project_path,
        null::varchar as git_branch,
        null::varchar as claude_version,
        nullif(trim(text), '') as text,
        false as has_thinking,
        0 as tool_use_count,
        null::varchar as stop_reason,
        false as is_synthetic,
        false as is_api_error,
        false as has_usage,
        0::bigint as input_tokens,
        0::bigint as output_tokens,
        0::bigint as cache_creation_tokens,
        0::bigint as cache_creation_5m_tokens,
        0::bigint as cache_creation_1h_tokens,
        0::bigint as cache_read_tokens,
        0::bigint as total_tokens,
        null::bigint as reasoning_tokens,
        0::bigint as web_search_requests,
        0::bigint as web_fetch_requests,
        null::varchar as speed,
        null::varchar as service_tier,
        null::varchar as inference_geo,
        null::double as recorded_cost_usd,
        1 as record_count,
        source_file,
        position as byte_offset,
        load_id
    from export_messages
),

{#- Codex CLI: each response's share of the thread's cumulative totals (int_codex_token_usage);
    Gemini CLI: each `gemini` message's own tokens. Their input includes the cached input and
    their output the reasoning: here input is the uncached part and cache_read the cached one, so
    the total is the tools' own and nothing is counted twice; reasoning_tokens is part of output.
    Their text is the replies each response paid for (Codex) or the message's own (Gemini). -#}
codex as (
    select
        usage.response_id,
        'codex' as source,
        usage.session_id,
        null::varchar as agent_id,
        coalesce(threads.is_subagent, false) as is_sidechain,
        null::varchar as message_id,
        null::varchar as request_id,
        usage.model,
        usage.created_at,
        threads.project_path,
        threads.git_branch,
        threads.cli_version as claude_version,
        usage.text,
        usage.has_reasoning as has_thinking,
        0 as tool_use_count,
        null::varchar as stop_reason,
        false as is_synthetic,
        false as is_api_error,
        usage.created_at is not null as has_usage,
        usage.input_tokens - usage.cached_input_tokens as input_tokens,
        usage.output_tokens,
        0::bigint as cache_creation_tokens,
        0::bigint as cache_creation_5m_tokens,
        0::bigint as cache_creation_1h_tokens,
        usage.cached_input_tokens as cache_read_tokens,
        usage.total_tokens,
        usage.reasoning_output_tokens as reasoning_tokens,
        0::bigint as web_search_requests,
        0::bigint as web_fetch_requests,
        null::varchar as speed,
        null::varchar as service_tier,
        null::varchar as inference_geo,
        null::double as recorded_cost_usd,
        1 as record_count,
        usage.source_file,
        usage.byte_offset,
        usage.load_id
    from {{ ref('int_codex_token_usage') }} as usage
    left join {{ ref('int_codex_threads') }} as threads on threads.session_id = usage.session_id
    {% if is_incremental() %}
    where usage.session_id in (select session_id from affected)
    {% endif %}
),

gemini_cli as (
    select
        usage.response_id,
        'gemini_cli' as source,
        usage.session_id,
        null::varchar as agent_id,
        coalesce(sessions.kind = 'subagent', false) as is_sidechain,
        usage.message_id,
        null::varchar as request_id,
        usage.model,
        usage.created_at,
        sessions.project_path,
        null::varchar as git_branch,
        null::varchar as claude_version,
        usage.text,
        usage.has_reasoning as has_thinking,
        0 as tool_use_count,
        null::varchar as stop_reason,
        false as is_synthetic,
        false as is_api_error,
        usage.created_at is not null as has_usage,
        usage.fresh_input_tokens as input_tokens,
        usage.output_tokens,
        0::bigint as cache_creation_tokens,
        0::bigint as cache_creation_5m_tokens,
        0::bigint as cache_creation_1h_tokens,
        usage.cached_input_tokens as cache_read_tokens,
        usage.fresh_input_tokens + usage.cached_input_tokens + usage.output_tokens as total_tokens,
        usage.reasoning_output_tokens as reasoning_tokens,
        0::bigint as web_search_requests,
        0::bigint as web_fetch_requests,
        null::varchar as speed,
        null::varchar as service_tier,
        null::varchar as inference_geo,
        null::double as recorded_cost_usd,
        1 as record_count,
        usage.source_file,
        usage.byte_offset,
        usage.load_id
    from {{ ref('int_gemini_cli_token_usage') }} as usage
    left join {{ ref('int_gemini_cli_sessions') }} as sessions on sessions.session_id = usage.session_id
    {% if is_incremental() %}
    where usage.session_id in (select session_id from affected)
    {% endif %}
),

unioned as (
    select * from claude_code
    union all by name
    select * from exports
    {% if agent_model_built('int_codex_token_usage') %}
    union all by name
    select * from codex
    {% endif %}
    {% if agent_model_built('int_gemini_cli_token_usage') %}
    union all by name
    select * from gemini_cli
    {% endif %}
),

{#- The price of each model named, matched as ccusage matches LiteLLM's names. -#}
models as (
    select distinct model from unioned where model is not null
),

priced_models as (
    select
        models.model,
        arg_min(prices, list_position({{ price_key_candidates('models.model') }}, prices.model)) as price
    from models
    inner join {{ ref('int_model_prices') }} as prices
        on list_contains({{ price_key_candidates('models.model') }}, prices.model)
    group by models.model
),

final as (
    select
        unioned.response_id,
        unioned.source,
        unioned.session_id,
        unioned.agent_id,
        unioned.is_sidechain,
        unioned.message_id,
        unioned.request_id,
        unioned.model,
        unioned.created_at,
        unioned.project_path,
        unioned.git_branch,
        unioned.claude_version,
        unioned.text,
        unioned.has_thinking,
        unioned.tool_use_count::integer as tool_use_count,
        unioned.stop_reason,
        unioned.is_synthetic,
        unioned.is_api_error,
        unioned.has_usage,
        unioned.input_tokens::bigint as input_tokens,
        unioned.output_tokens::bigint as output_tokens,
        unioned.cache_creation_tokens::bigint as cache_creation_tokens,
        unioned.cache_creation_5m_tokens::bigint as cache_creation_5m_tokens,
        unioned.cache_creation_1h_tokens::bigint as cache_creation_1h_tokens,
        unioned.cache_read_tokens::bigint as cache_read_tokens,
        unioned.total_tokens::bigint as total_tokens,
        unioned.reasoning_tokens::bigint as reasoning_tokens,
        unioned.web_search_requests::bigint as web_search_requests,
        unioned.web_fetch_requests::bigint as web_fetch_requests,
        unioned.speed,
        unioned.service_tier,
        unioned.inference_geo,
        priced_models.price.model as price_model,
        ({{ response_cost('unioned', 'priced_models.price') }})::double as cost_usd,
        unioned.record_count::integer as record_count,
        unioned.source_file,
        unioned.byte_offset,
        unioned.load_id
    from unioned
    left join priced_models on priced_models.model = unioned.model
)

select * from final

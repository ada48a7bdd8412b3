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
    Every record that carries an API response's usage (FORMAT.md 5.2-5.4), parsed once: the
    `assistant` records (one per content block), and the sub-agent responses that 2.1.17-2.1.42
    echoed into the parent's `progress` records. Incremental by load, like the user records.
-#}

with lines as (
    select *
    from {{ ref('stg_claude_code__lines') }}
    where (
        record_type = 'assistant'
        -- a progress record is most often a hook's; only an agent's echo holds a response
        or (record_type = 'progress' and contains(line::varchar, '"usage":{'))
    )
    {% if is_incremental() %}
        and load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
),

{%- set message_shape -%}
{"id": "VARCHAR", "model": "VARCHAR", "stop_reason": "VARCHAR", "content": "JSON",
 "usage": {"input_tokens": "BIGINT", "output_tokens": "BIGINT", "cache_creation_input_tokens": "BIGINT",
           "cache_read_input_tokens": "BIGINT", "cache_creation": "JSON",
           "server_tool_use": {"web_search_requests": "BIGINT", "web_fetch_requests": "BIGINT"},
           "speed": "VARCHAR", "service_tier": "VARCHAR", "inference_geo": "VARCHAR"}}
{%- endset %}

parsed as (
    select
        lines.*,
        json_transform(line, '{"requestId": "VARCHAR", "isApiErrorMessage": "BOOLEAN", "costUSD": "DOUBLE",
            "message": {{ message_shape }},
            "data": {"agentId": "VARCHAR", "message": {"timestamp": "VARCHAR", "requestId": "VARCHAR",
                     "isSidechain": "BOOLEAN", "costUSD": "DOUBLE", "message": {{ message_shape }}}}}') as r
    from lines
),

unnested as (
    select
        parsed.* exclude (r),
        record_type = 'progress' as is_progress_echo,
        case when record_type = 'progress' then r.data.message.message else r.message end as m,
        case when record_type = 'progress' then r.data.message.requestId else r.requestId end as request_id,
        case when record_type = 'progress' then r.data.message.costUSD else r.costUSD end as recorded_cost_usd,
        coalesce(r.isApiErrorMessage, false) as is_api_error,
        r.data.agentId as echoed_agent_id,
        r.data.message.isSidechain as echoed_is_sidechain,
        {{ plausible_time('try_cast(r.data.message.timestamp as timestamptz)') }} as echoed_at
    from parsed
),

blocks as (
    select
        unnested.*,
        case when json_type(m.content) = 'ARRAY'
            then json_transform(m.content, '[{"type": "VARCHAR", "text": "VARCHAR", "id": "VARCHAR", "name": "VARCHAR", "input": "JSON"}]')
        end as block_list,
        case when json_type(m.content) = 'VARCHAR' then m.content ->> '$' end as content_text,
        json_transform(m.usage.cache_creation, '{"ephemeral_5m_input_tokens": "BIGINT", "ephemeral_1h_input_tokens": "BIGINT"}')
            as cache_split
    from unnested
),

final as (
    select
        load_id,
        source_file,
        byte_offset,
        uuid,
        session_id,
        coalesce(agent_id, echoed_agent_id) as agent_id,
        case when is_progress_echo then coalesce(echoed_is_sidechain, true) else is_sidechain end as is_sidechain,
        is_progress_echo,
        case when is_progress_echo then echoed_at else created_at end as created_at,
        project_path,
        git_branch,
        claude_version,
        m.id as message_id,
        request_id,
        m.model as model,
        m.stop_reason as stop_reason,
        is_api_error,
        recorded_cost_usd,
        coalesce(
            content_text,
            array_to_string(list_transform(list_filter(block_list, lambda b: b.type = 'text'), lambda b: b.text), chr(10))
        ) as text,
        coalesce(list_bool_or(list_transform(block_list, lambda b: b.type in ('thinking', 'redacted_thinking'))), false)
            as has_thinking,
        coalesce(list_transform(
            list_filter(block_list, lambda b: b.type = 'tool_use'),
            lambda b: {'tool_use_id': b.id, 'tool_name': b.name, 'input': b.input}
        ), []) as tool_uses,
        m.usage.input_tokens as input_tokens,
        m.usage.output_tokens as output_tokens,
        m.usage.cache_creation_input_tokens as cache_creation_input_tokens,
        m.usage.cache_read_input_tokens as cache_read_input_tokens,
        -- ccusage counts the 5m/1h split whenever the record has one (it also fixes the zero
        -- total that Claude Code wrote before 2.1.152), the total otherwise
        cache_split is not null as has_cache_split,
        coalesce(cache_split.ephemeral_5m_input_tokens, 0) as cache_5m_split_tokens,
        coalesce(cache_split.ephemeral_1h_input_tokens, 0) as cache_1h_split_tokens,
        m.usage.server_tool_use.web_search_requests as web_search_requests,
        m.usage.server_tool_use.web_fetch_requests as web_fetch_requests,
        m.usage.speed as speed,
        m.usage.service_tier as service_tier,
        m.usage.inference_geo as inference_geo,
        -- what ccusage 20 reads as a usage entry: both counts present and not negative, a
        -- time, and no empty id, model or session, nor a version that is no x.y.z
        coalesce(
            m.usage.input_tokens >= 0 and m.usage.output_tokens >= 0
            and coalesce(m.usage.cache_creation_input_tokens, 0) >= 0
            and coalesce(m.usage.cache_read_input_tokens, 0) >= 0
            and (case when is_progress_echo then echoed_at else created_at end) is not null
            and coalesce(m.id, '-') <> '' and coalesce(request_id, '-') <> '' and coalesce(m.model, '-') <> ''
            and (is_progress_echo or (
                coalesce(session_id, '-') <> ''
                and (claude_version is null or regexp_matches(claude_version, '^[0-9]+\.[0-9]+\.[0-9]'))
            )),
            false
        ) as has_usage
    from blocks
)

select * from final

-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
-- depends_on: {{ ref('int_assistant_records_parsed') }}
-- depends_on: {{ ref('int_tool_results_parsed') }}
-- depends_on: {{ ref('int_codex_tool_calls') }}
-- depends_on: {{ ref('int_gemini_cli_tool_calls') }}
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
    One row per `tool_use` block, joined to its `tool_result` by id. A call replayed by a resumed
    session or a sub-agent counts once, at its earliest main-thread copy. A Task/Agent call
    names the sub-agent it ran (`subagent_id`, the `agent_id` of that sub-agent's records).
    Incremental like assistant_responses.
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
    where len(tool_uses) > 0 and not is_progress_echo
    {% if is_incremental() %}
        and (message_id in (select message_id from scoped_ids)
            or (message_id is null and session_id in (select session_id from affected))
            or (session_id is null and load_id > {{ mart_watermark() }}))
    {% endif %}
),

calls as (
    select
        records.session_id,
        records.agent_id,
        records.is_sidechain,
        records.message_id,
        records.request_id,
        records.created_at as called_at,
        records.source_file,
        records.byte_offset,
        records.load_id,
        unnest(records.tool_uses) as tool_use
    from records
),

first_calls as (
    select
        calls.* exclude (tool_use),
        tool_use.tool_use_id,
        tool_use.tool_name,
        tool_use.input
    from calls
    where tool_use.tool_use_id is not null
    qualify row_number() over (
        partition by tool_use.tool_use_id
        order by is_sidechain, called_at nulls last, source_file, byte_offset
    ) = 1
),

results as (
    select *
    from {{ ref('int_tool_results_parsed') }}
    where tool_use_id in (select tool_use_id from first_calls)
    qualify row_number() over (
        partition by tool_use_id
        order by is_sidechain, created_at nulls last, source_file, byte_offset, block_index
    ) = 1
),

claude_code as (
    select
        first_calls.tool_use_id,
        'claude_code' as source,
        first_calls.session_id,
        first_calls.agent_id,
        first_calls.is_sidechain,
        first_calls.message_id,
        first_calls.tool_name,
        first_calls.input,
        first_calls.called_at,
        results.created_at as result_at,
        results.tool_use_id is not null as has_result,
        results.is_error,
        results.result_bytes,
        results.persisted_output_path,
        case when first_calls.tool_name in ('Task', 'Agent') then results.subagent_id end as subagent_id,
        first_calls.source_file,
        first_calls.byte_offset,
        first_calls.load_id
    from first_calls
    left join results on results.tool_use_id = first_calls.tool_use_id
    {% if is_incremental() %}
    where first_calls.session_id in (select session_id from affected)
        or (first_calls.session_id is null and first_calls.load_id > {{ mart_watermark() }})
    {% endif %}
),

codex as (
    select
        tool_use_id,
        'codex' as source,
        session_id,
        null::varchar as agent_id,
        is_subagent as is_sidechain,
        null::varchar as message_id,
        tool_name,
        input,
        called_at,
        result_at,
        has_result,
        is_error,
        result_bytes,
        null::varchar as persisted_output_path,
        null::varchar as subagent_id,
        source_file,
        byte_offset,
        load_id
    from {{ ref('int_codex_tool_calls') }}
    {% if is_incremental() %}
    where session_id in (select session_id from affected)
    {% endif %}
),

gemini_cli as (
    select
        tool_use_id,
        'gemini_cli' as source,
        session_id,
        null::varchar as agent_id,
        false as is_sidechain,
        message_id,
        tool_name,
        input,
        called_at,
        result_at,
        has_result,
        is_error,
        result_bytes,
        null::varchar as persisted_output_path,
        null::varchar as subagent_id,
        source_file,
        byte_offset,
        load_id
    from {{ ref('int_gemini_cli_tool_calls') }}
    {% if is_incremental() %}
    where session_id in (select session_id from affected)
    {% endif %}
),

final as (
    select * from claude_code
    {% if agent_model_built('int_codex_tool_calls') %}
    union all by name
    select * from codex
    {% endif %}
    {% if agent_model_built('int_gemini_cli_tool_calls') %}
    union all by name
    select * from gemini_cli
    {% endif %}
)

select * from final

{#- Incremental bookkeeping of the agent CLIs' intermediate models (Codex CLI, Gemini CLI). A
    session's facts need its whole history (token totals are cumulative, a message is written
    again as it changes, a `.json` document is rewritten whole), so these models recompute whole
    sessions: the ones an import touched since the model's own watermark. -#}

{% macro agent_sessions_touched() -%}
    select session_id from {{ ref('stg_claude_code__touched_sessions') }}
    where load_id > {{ mart_watermark() }}
{%- endmacro %}

{% macro agent_sessions_filter(column='session_id') -%}
    {% if is_incremental() %}
    {{ column }} in ({{ agent_sessions_touched() }})
    {% else %}
    true
    {% endif %}
{%- endmacro %}

{% macro prune_touched_agent_sessions() -%}
    {#- Their rows go before the sessions are computed again: a session may now have fewer rows, or none. -#}
    {% if is_incremental() %}
    delete from {{ this }} where session_id in ({{ agent_sessions_touched() }})
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}

{% macro agent_model_built(model_name) -%}
    {#- Whether an agent CLI's model is in the warehouse (or was built before this node in this
        build). An import leaves out the models of an agent CLI the warehouse has no lines of
        (transform/dbt.py's AGENT_FAMILIES); the marts then leave out that CLI's branch. At parse
        time it is true, so the refs inside the branch are recorded. -#}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set relation = ref(model_name) -%}
    {%- if relation.identifier.startswith('__dbt__cte__') -%}
        {#- a unit test: the input is a fixture -#}
        {{ return(true) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is not none) }}
{%- endmacro %}

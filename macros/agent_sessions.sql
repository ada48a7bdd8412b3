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

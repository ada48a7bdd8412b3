{#- Incremental bookkeeping shared by the marts: which sessions to recompute, and when a mart
    has absorbed a load. The watermark is per mart and lives in build.model_watermarks. -#}

{% macro mart_watermark() -%}
    (select coalesce(max(load_id), 0) from {{ ref('stg_build__model_watermarks') }}
     where model_name = '{{ this.name }}')
{%- endmacro %}

{% macro affected_sessions() -%}
    {#- Sessions whose raw lines changed since this mart's watermark, plus sessions sharing a
        user-record uuid with them: a replayed copy can change which session a message is in. -#}
    with touched as (
        select session_id from {{ ref('stg_claude_code__touched_sessions') }}
        where load_id > {{ mart_watermark() }}
    ),
    touched_uuids as (
        select distinct uuid from {{ ref('stg_claude_code__lines') }}
        where record_type = 'user' and uuid is not null
          and session_id in (select session_id from touched)
    ),
    sharing as (
        select session_id from {{ ref('stg_claude_code__lines') }}
        where record_type = 'user' and uuid in (select uuid from touched_uuids)
    ),
    {#- An export message copied into another conversation counts in one of them only. -#}
    touched_export_ids as (
        select distinct message_id from {{ ref('stg_exports__messages') }}
        where conversation_id in (select session_id from touched)
    ),
    export_sharing as (
        select conversation_id as session_id from {{ ref('stg_exports__messages') }}
        where message_id in (select message_id from touched_export_ids)
    )
    select session_id from touched where session_id is not null
    union
    select session_id from sharing where session_id is not null
    union
    select session_id from export_sharing
{%- endmacro %}

{% macro record_watermark() -%}
    insert or replace into {{ source('build', 'model_watermarks') }}
    select '{{ this.name }}', coalesce(max(load_id), 0), now() from {{ source('claude_code', 'loads') }}
{%- endmacro %}

{% macro prune_rewritten_lines() -%}
    {#- Rows whose raw line was replaced by a rewrite of its file. Only files that changed after
        the newest load this model holds can have been rewritten since it was built. -#}
    {% if is_incremental() %}
    delete from {{ this }} as t
    where t.source_file in (
        select source_file from {{ source('claude_code', 'files') }}
        where last_load_id > (select coalesce(max(load_id), 0) from {{ this }})
    )
      and not exists (
        select 1 from {{ source('claude_code', 'lines') }} as l
        where l.source_file = t.source_file and l.load_id = t.load_id and l.byte_offset = t.byte_offset
    )
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}

{% macro prune_vanished_messages() -%}
    {#- Messages of affected sessions that no longer belong there (file rewritten, or an
        earlier copy found in another session). -#}
    {% if is_incremental() %}
    delete from {{ this }} as t
    where t.session_id in ({{ affected_sessions() }})
      and not exists (
        select 1 from {{ ref('int_human_messages_unioned') }} as m
        where m.message_uuid = t.message_uuid and m.session_id = t.session_id
      )
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}

{% macro prune_vanished_sessions() -%}
    {% if is_incremental() %}
    delete from {{ this }} as t
    where t.session_id in ({{ affected_sessions() }})
      and not exists (
        select 1 from {{ ref('stg_claude_code__lines') }} as l
        where l.session_id = t.session_id and l.uuid is not null
          and not l.is_sidechain and l.agent_id is null
      )
      and not exists (
        select 1 from {{ ref('stg_exports__conversations') }} as c
        where c.conversation_id = t.session_id and c.message_count > 0
      )
      {% if agent_model_built('int_codex_threads') %}
      and not exists (
        select 1 from {{ ref('int_codex_threads') }} as c
        where c.session_id = t.session_id and not c.is_subagent
      )
      {% endif %}
      {% if agent_model_built('int_gemini_cli_sessions') %}
      and not exists (
        select 1 from {{ ref('int_gemini_cli_sessions') }} as g
        where g.session_id = t.session_id and g.kind <> 'subagent'
      )
      {% endif %}
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}

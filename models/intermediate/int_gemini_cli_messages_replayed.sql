-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=["{{ prune_touched_agent_sessions() }}", "{{ zstd_strings() }}"],
        post_hook=["{{ default_compression() }}", "{{ record_watermark() }}"],
    )
}}

{#-
    The messages a Gemini CLI session holds now, replayed from its records as Gemini CLI loads
    them (FORMAT-NOTES.md 2.4): the last write of each message id wins; `$rewindTo` drops that
    message and every one after it (all of them for an unknown id); a checkpoint
    (`$set.messages`, or a whole record on one line) replaces them all. When a session is in two
    files (a `.json` migrated to `.jsonl` on resume), the `.jsonl` is read.
-#}

{#- `records` is read twice, for the keys and for the messages kept: not materialized, so that
    DuckDB does not hold every record's JSON (1 GB on the 1 GiB tree) between the two -#}
with records as not materialized (
    select * from {{ ref('stg_gemini_cli__records') }}
    where {{ agent_sessions_filter() }}
),

-- the replay reads keys alone; the records' JSON joins the messages that are left, at the end
keys as (
    select session_id, source_file, position, byte_offset, record_kind, message_id, message_type, created_at, load_id
    from records
),

files as (
    select
        session_id,
        source_file,
        row_number() over (
            partition by session_id order by ends_with(source_file, '.jsonl') desc, max(created_at) desc nulls last, source_file
        ) as file_rank
    from keys
    group by session_id, source_file
),

chosen as (
    select keys.*
    from keys
    inner join files on files.source_file = keys.source_file and files.file_rank = 1
),

writes as (
    select
        chosen.*,
        -- where this id first appeared, up to this write
        min(position) over (partition by source_file, message_id order by position rows unbounded preceding) as first_position
    from chosen
    where record_kind = 'message' and message_id is not null
),

resets as (
    select
        resets.source_file,
        resets.position,
        resets.record_kind,
        (select min(w.position) from writes as w
         where w.source_file = resets.source_file and w.message_id = resets.message_id and w.position < resets.position)
            as target_position
    from chosen as resets
    where resets.record_kind in ('rewind', 'checkpoint')
),

dropped as (
    select distinct writes.source_file, writes.position
    from writes
    inner join resets
        on resets.source_file = writes.source_file and resets.position > writes.position
    where resets.record_kind = 'checkpoint' or resets.target_position is null
       or writes.first_position >= resets.target_position
),

living as (
    select writes.*
    from writes
    anti join dropped on dropped.source_file = writes.source_file and dropped.position = writes.position
),

latest as (
    select
        living.*,
        min(position) over (partition by source_file, message_id) as shown_position,
        arg_min(byte_offset, position) over (partition by source_file, message_id) as shown_offset,
        row_number() over (partition by source_file, message_id order by position desc) as write_rank
    from living
),

final as (
    select
        latest.session_id,
        latest.source_file,
        latest.message_id,
        latest.message_type,
        latest.created_at,
        records.record,
        latest.shown_position as position,
        latest.shown_offset as byte_offset,
        latest.load_id
    from latest
    inner join records on records.source_file = latest.source_file and records.position = latest.position
    where latest.write_rank = 1
)

select * from final

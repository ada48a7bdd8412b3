"""DDL of the agent CLIs' raw tables (Codex CLI, Gemini CLI): migration 3 of extract/schema.py."""

AGENT_DDL = [
    # Landed state of each agent transcript file, as raw.files is for Claude Code's; `source` is
    # `codex` or `gemini_cli`, `session_id` the thread the file holds (stamped on its later lines).
    """
    create table if not exists raw.agent_files (
        source_file varchar primary key,
        source varchar not null,
        session_id varchar,
        size bigint not null,
        mtime_ns bigint not null,
        landed_offset bigint not null,
        landed_lines bigint not null,
        head_len bigint not null,
        head_sha varchar not null,
        tail_sha varchar,
        first_load_id bigint not null,
        last_load_id bigint not null
    )
    """,
    # One row per landed line of a Codex rollout (both generations): the envelope's `type`, the
    # payload's `type` and `role`, and the whole line as JSON. The older generation has no
    # envelope; staging gives its lines the same shape.
    """
    create table if not exists raw.codex_lines (
        load_id bigint not null,
        source_file varchar not null,
        byte_offset bigint not null,
        line_no bigint not null,
        session_id varchar not null,
        record_type varchar,
        payload_type varchar,
        payload_role varchar,
        record_timestamp varchar,
        line json not null
    )
    """,
    # One row per Gemini CLI record: a `.jsonl` line (metadata, message, `$set`, `$rewindTo`), or for
    # a `.json` document its metadata and each message. `$set.messages` (a checkpoint) lands as a
    # `checkpoint` row followed by its messages; `item_index` orders rows taken from one line.
    """
    create table if not exists raw.gemini_records (
        load_id bigint not null,
        source_file varchar not null,
        byte_offset bigint not null,
        line_no bigint not null,
        item_index bigint not null,
        session_id varchar not null,
        record_kind varchar not null,
        message_id varchar,
        message_type varchar,
        record_timestamp varchar,
        record json not null
    )
    """,
]


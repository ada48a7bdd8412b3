"""DDL of the raw layer. The extractor owns the `raw` schema; dbt only reads it."""

from chatlake.extract.agents.schema import ensure_agent_schema

RAW_DDL = [
    "create schema if not exists raw",
    """
    create table if not exists raw.loads (
        load_id bigint primary key,
        started_at timestamptz not null,
        finished_at timestamptz,
        roots varchar[],
        files_seen bigint,
        files_new bigint,
        files_appended bigint,
        files_unchanged bigint,
        files_rewritten bigint,
        files_failed bigint,
        lines_landed bigint,
        lines_rejected bigint,
        bytes_read bigint
    )
    """,
    """
    create table if not exists raw.files (
        source_file varchar primary key,
        size bigint not null,
        mtime_ns bigint not null,
        landed_offset bigint not null,
        landed_lines bigint not null,
        head_len bigint not null,
        head_sha varchar not null,
        first_load_id bigint not null,
        last_load_id bigint not null,
        tail_sha varchar
    )
    """,
    # Warehouses made before the tail of what was landed was fingerprinted.
    "alter table raw.files add column if not exists tail_sha varchar",
    """
    create table if not exists raw.lines (
        load_id bigint not null,
        source_file varchar not null,
        byte_offset bigint not null,
        line_no bigint not null,
        record_type varchar not null,
        uuid varchar,
        parent_uuid varchar,
        session_id varchar,
        record_timestamp varchar,
        is_sidechain boolean not null,
        agent_id varchar,
        is_meta boolean not null,
        is_compact_summary boolean not null,
        has_tool_use_result boolean not null,
        message_role varchar,
        cwd varchar,
        git_branch varchar,
        claude_version varchar,
        line json not null
    )
    """,
    """
    create table if not exists raw.rejected_lines (
        load_id bigint not null,
        source_file varchar not null,
        line_no bigint not null,
        byte_offset bigint not null,
        reason varchar not null,
        line_head varchar
    )
    """,
    # Sessions whose raw lines changed in a load (added, or removed by a rewrite):
    # the incremental marts recompute exactly these.
    """
    create table if not exists raw.touched_sessions (
        load_id bigint not null,
        session_id varchar not null
    )
    """,
    # Chat exports (ChatGPT, Claude.ai): each landed conversation once, at its latest update time,
    # with the messages of its visible branch; a newer version replaces the rows of the older one.
    """
    create table if not exists raw.export_files (
        source_file varchar primary key,
        size bigint not null,
        mtime_ns bigint not null,
        source_kind varchar,
        conversations bigint not null,
        first_load_id bigint not null,
        last_load_id bigint not null
    )
    """,
    """
    create table if not exists raw.export_conversations (
        load_id bigint not null,
        source_kind varchar not null,
        conversation_id varchar not null,
        source_file varchar not null,
        file_position bigint not null,
        title varchar,
        created_epoch double,
        updated_epoch double,
        message_count bigint not null
    )
    """,
    """
    create table if not exists raw.export_messages (
        load_id bigint not null,
        source_kind varchar not null,
        conversation_id varchar not null,
        position bigint not null,
        message_id varchar not null,
        parent_id varchar,
        role varchar,
        content_type varchar,
        is_hidden boolean not null,
        created_epoch double,
        text varchar not null,
        image_count integer not null,
        attachment_count integer not null,
        message json not null
    )
    """,
    """
    create table if not exists raw.rejected_conversations (
        load_id bigint not null,
        source_file varchar not null,
        file_position bigint not null,
        reason varchar not null,
        head varchar
    )
    """,
    """
    create table if not exists raw.model_watermarks (
        model varchar primary key,
        load_id bigint not null,
        built_at timestamptz not null
    )
    """,
    # The dbt project (chatlake.build.project_fingerprint) the whole warehouse was last built
    # with: while it is the same, an import rebuilds only the incremental models.
    """
    create table if not exists raw.project_builds (
        fingerprint varchar not null,
        built_at timestamptz not null
    )
    """,
]


def ensure_raw_schema(con) -> None:
    """Create the raw tables if they are missing (idempotent)."""
    for ddl in RAW_DDL:
        con.execute(ddl)
    ensure_agent_schema(con)

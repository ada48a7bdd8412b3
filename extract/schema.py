"""The raw layer's schema, as numbered migrations recorded in the warehouse.

The extractor owns the `raw` schema; dbt only reads it (dbt's own state is in `build`, made by
macros/build_state.sql, which also moves the two tables migration 1 once made in `raw`). Each change to it is a migration with the
next number, applied once, in order, inside the load's transaction, and recorded in
raw.schema_migrations (number, name, when, by which chatlake), as simonw/llm's migrations.py and
dlt's _dlt_version keep theirs. A warehouse whose record holds a number this chatlake does not
know was written by a newer release: it is refused, never written down to an older shape.

Migrations 1 and 2 are the layout of the releases before migrations were recorded; their
statements are idempotent, so a warehouse written by one of those releases (which has the tables
and no record) takes them as a no-op, and only the record is added. Marts are not migrated here:
dbt derives a new mart from the raw lines already landed, on the first build after the upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatlake.core.errors import ChatlakeError
from chatlake.extract.agents.schema import AGENT_DDL


class WarehouseTooNew(ChatlakeError):
    """The warehouse was written by a newer chatlake, whose raw schema this one does not know."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]


_RAW_LAYER = [
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
    # raw.model_watermarks and raw.project_builds were dbt's state here: it is in `build` now
    # (macros/build_state.sql moves the rows of a warehouse that still has them).
]


MIGRATIONS = (
    Migration(1, "raw layer: lines, files, loads, exports, watermarks", tuple(_RAW_LAYER)),
    # Warehouses made before the tail of what was landed was fingerprinted.
    Migration(2, "raw.files.tail_sha", ("alter table raw.files add column if not exists tail_sha varchar",)),
    Migration(3, "agent CLIs: raw.agent_files, raw.codex_lines, raw.gemini_records", tuple(AGENT_DDL)),
)
LATEST = MIGRATIONS[-1].number

_RECORD_DDL = """
    create table if not exists raw.schema_migrations (
        number integer primary key,
        name varchar not null,
        applied_at timestamptz not null,
        chatlake_version varchar
    )
"""


def pending(applied: set[int], migrations: tuple[Migration, ...] = MIGRATIONS) -> list[Migration]:
    """The migrations still to apply, in order; refuses a record from a newer chatlake."""
    known = {m.number for m in migrations}
    newer = sorted(applied - known)
    if newer:
        raise WarehouseTooNew(
            f"this warehouse was written by a newer chatlake (raw schema {newer[-1]}; this one knows up to"
            f" {max(known)}): upgrade chatlake to use it")
    return [m for m in migrations if m.number not in applied]


def applied_migrations(con) -> set[int]:
    """The numbers recorded in the warehouse (none for a new one, or one from before the record)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return set()
    return {n for (n,) in con.execute("select number from raw.schema_migrations").fetchall()}


def ensure_raw_schema(con) -> list[int]:
    """Apply the migrations the warehouse has not had (in the caller's transaction); returns their numbers."""
    from importlib.metadata import PackageNotFoundError, version

    todo = pending(applied_migrations(con))
    if not todo:
        return []
    try:
        release = version("chatlake")
    except PackageNotFoundError:  # a checkout that was never installed
        release = None
    con.execute("create schema if not exists raw")
    con.execute(_RECORD_DDL)
    for migration in todo:
        for ddl in migration.statements:
            con.execute(ddl)
        con.execute("insert into raw.schema_migrations values (?, ?, now(), ?)",
                    [migration.number, migration.name, release])
    return [m.number for m in todo]

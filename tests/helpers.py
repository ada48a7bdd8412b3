"""Small readers used by several tests."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def messages(db: Path) -> dict[str, tuple]:
    """message_uuid -> (session_id, message_index, kind, content, image_count)."""
    rows = query(db, "select message_uuid, session_id, message_index, kind, content, image_count from human_messages")
    return {r[0]: r[1:] for r in rows}


def warehouse_snapshot(db: Path) -> tuple:
    """Everything a user would compare between two warehouses (no load ids or paths' order)."""
    hm = query(db, "select message_uuid, session_id, message_index, kind, content, content_hash, image_count"
                   " from human_messages order by all")
    ss = query(db, "select session_id, project_path, title, git_branch, first_at, last_at, human_message_count,"
                   " record_count, claude_version from sessions order by all")
    lines = query(db, "select source_file, byte_offset, line_no, record_type from raw.lines order by all")
    return hm, ss, lines


def cli_process(args: list[str], **kwargs) -> subprocess.Popen:
    """`python -m chatlake.cli ARGS` in a new process, started outside the repository.

    From the repository root, `-m` would import the source folder `chatlake/` instead of
    the installed package (whose subpackages live in extract/ and embed/).
    """
    kwargs.setdefault("cwd", tempfile.gettempdir())
    return subprocess.Popen([sys.executable, "-m", "chatlake.cli", *args], **kwargs)

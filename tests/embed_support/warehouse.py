"""Warehouses for the embed step: the real one (import + dbt build) and small hand-made ones."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from chatlake.pipeline import import_transcripts
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns

COLUMNS = ("message_uuid", "session_id", "message_index", "created_at", "kind", "content", "content_hash",
           "image_count", "project_path", "git_branch", "claude_version", "source_file", "source")

DDL = """
create table main.human_messages (
    message_uuid varchar, session_id varchar, message_index bigint, created_at timestamptz, kind varchar,
    content varchar, content_hash varchar, image_count integer, project_path varchar, git_branch varchar,
    claude_version varchar, source_file varchar, source varchar
)
"""

# Texts the embed tests look for, added to a generated tree as plain prompts.
DUPLICATE = "Why does the nightly export job run twice on Sundays?"  # typed in two sessions
POISON = "Please summarise POISON-PILL-7 for the release notes"  # the stub can be told to refuse it
LONG = " ".join(f"line{i} of the pasted log" for i in range(2500))  # over 8,191 tokens
SECRETS = {
    "openai_key": "sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa",
    "anthropic_key": "sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5Jd",
    "aws_access_key": "AKIAIOSFODNN7EXAMPLE",
    "github_token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "connection_password": "hunter2-Prod-Secret",
}
SECRET_PROMPT = (
    f"deploy with OPENAI_API_KEY={SECRETS['openai_key']} and ANTHROPIC_API_KEY={SECRETS['anthropic_key']}, "
    f"aws key {SECRETS['aws_access_key']}, push with {SECRETS['github_token']}, "
    f"db postgresql://app:{SECRETS['connection_password']}@db.internal:5432/prod"
)
EXTRA_PROMPTS = 520  # enough for more than one 500-row REST batch

_imported: Path | None = None


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def imported_warehouse(dest: Path) -> Path:
    """A copy of a warehouse built by the real import (generated transcripts, real dbt build), made once per process.

    Besides the generated sessions it holds DUPLICATE in two sessions, POISON, LONG, SECRET_PROMPT
    and EXTRA_PROMPTS more distinct prompts, appended as Claude Code appends a session's turns.
    """
    global _imported
    if _imported is None:
        root = Path(tempfile.mkdtemp(prefix="chatlake-embed-wh-"))
        tree = TranscriptGenerator(root / "projects", seed=1).write_tree(sessions=6, prompts=7)
        first, second = [f for f in tree.files if f.stem in tree.sessions][:2]
        extra = [f"extra prompt {i}: check the {i % 7}th retry of the loader" for i in range(EXTRA_PROMPTS)]
        append_session_turns(first, first.stem, [DUPLICATE, POISON, LONG, SECRET_PROMPT] + extra)
        append_session_turns(second, second.stem, [DUPLICATE])
        summary = import_transcripts([tree.root], root / "chatlake.duckdb")
        assert summary.ok, summary.test_failures
        _imported = root / "chatlake.duckdb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_imported, dest)
    return dest


def message(content: str, *, kind: str = "prompt", session: str = "s1", index: int = 0,
            uuid: str | None = None, project: str = "/home/dev/work/api") -> dict:
    """One human_messages row."""
    created = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=index)
    return {
        "message_uuid": uuid or f"{session}-{index:06d}", "session_id": session, "message_index": index,
        "created_at": created, "kind": kind, "content": content, "content_hash": sha(content), "image_count": 0,
        "project_path": project, "git_branch": "main", "claude_version": "2.0.0",
        "source_file": f"/tmp/{session}.jsonl", "source": "claude_code",
    }


def make_warehouse(path: Path, rows: list[dict]) -> Path:
    """A DuckDB file holding only `main.human_messages` with these rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        add_messages(con, rows)
    finally:
        con.close()
    return path


def add_messages(con_or_path, rows: list[dict]) -> None:
    if not rows:
        return
    con = duckdb.connect(str(con_or_path)) if isinstance(con_or_path, (str, Path)) else con_or_path
    try:
        table = pa.table({c: [r[c] for r in rows] for c in COLUMNS},
                         schema=pa.schema([(c, pa.timestamp("us", tz="UTC") if c == "created_at" else
                                            pa.int64() if c == "message_index" else
                                            pa.int32() if c == "image_count" else pa.string()) for c in COLUMNS]))
        con.register("incoming_messages", table)
        con.execute(f"insert into main.human_messages select {', '.join(COLUMNS)} from incoming_messages")
        con.unregister("incoming_messages")
    finally:
        if con is not con_or_path:
            con.close()


def distinct_prompts(n: int, session_size: int = 50, prefix: str = "prompt") -> list[dict]:
    """`n` prompts with `n` distinct texts, in sessions of `session_size`."""
    words = ("fix", "the", "failing", "test", "in", "module", "refactor", "add", "logging", "to", "handler",
             "why", "does", "this", "query", "return", "duplicates", "rename", "function", "and", "update", "docs")
    rows = []
    for i in range(n):
        text = f"{prefix} {i}: " + " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(8 + i % 40))
        rows.append(message(text, session=f"{prefix}-s{i // session_size:05d}", index=i % session_size))
    return rows

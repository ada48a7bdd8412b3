"""One warehouse for the search, sql, status and analyses tests: a generated tree plus known prompts.

Built once per test process by the real import (dbt build); each test gets a copy. The known
prompts are written as extra sessions in their own project folders, at known times.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from chatlake.pipeline import import_transcripts
from chatlake.example.transcripts import GeneratedTree, TranscriptGenerator, append_session_turns

RARE = "the nightly deploy stops with error E4711 while uploading the bundle"
KNOWN = "how do I rotate the postgres credentials without downtime"
ALL_TERMS = "rewrite the lexer so the tokenizer feeds the grammar"
ONE_TERM = "the lexer feels slow today"
SHARED = "benchmark the vector index after the bulk load"

# (project path, session id, start, prompts)
KNOWN_SESSIONS = [
    ("/home/dev/work/api", "a0000000-0000-4000-8000-000000000001", datetime(2026, 5, 1, 10, tzinfo=timezone.utc),
     [RARE, KNOWN, ALL_TERMS]),
    ("/home/dev/work/web", "a0000000-0000-4000-8000-000000000002", datetime(2026, 5, 20, 10, tzinfo=timezone.utc),
     [ONE_TERM, SHARED]),
    ("/home/dev/work/infra", "a0000000-0000-4000-8000-000000000003", datetime(2026, 6, 10, 10, tzinfo=timezone.utc),
     [SHARED]),
]

_built: tuple[Path, GeneratedTree] | None = None


def _build() -> tuple[Path, GeneratedTree]:
    root = Path(tempfile.mkdtemp(prefix="chatlake-search-wh-"))
    tree = TranscriptGenerator(root / "projects", seed=8).write_tree(sessions=4, prompts=6)
    for project, sid, start, prompts in KNOWN_SESSIONS:
        path = tree.root / project.replace("/", "-") / f"{sid}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        tree.expected += append_session_turns(path, sid, prompts, cwd=project, start=start)
        tree.files.append(path)
        tree.sessions.add(sid)
    db = root / "chatlake.duckdb"
    summary = import_transcripts([tree.root], db)
    assert summary.ok, summary.test_failures
    return db, tree


def warehouse(dest: Path) -> tuple[Path, GeneratedTree]:
    """A copy of the shared warehouse at `dest`, and the tree it was imported from."""
    global _built
    if _built is None:
        _built = _build()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_built[0], dest)
    return dest, _built[1]

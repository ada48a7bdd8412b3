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


# -- a warehouse of several apps: Claude Code, Codex CLI and Gemini CLI ----------------------------

# The words every app's known prompts share: Claude Code's say them most, so they rank first.
SPREAD = "websocket reconnect"
CLAUDE_SPREAD = [f"{SPREAD} {SPREAD}: the {SPREAD} loop again, case {i}" for i in range(6)]
CODEX_SPREAD = [f"why does the {SPREAD} wait so long after a deploy", f"log every {SPREAD} attempt"]
GEMINI_SPREAD = [f"draw the {SPREAD} states as a diagram"]
LATEST_CLAUDE = "a0000000-0000-4000-8000-0000000000c1"

_mixed: tuple[Path, dict] | None = None


def _build_mixed() -> tuple[Path, dict]:
    from chatlake.example.agents import CodexGenerator, GeminiGenerator

    root = Path(tempfile.mkdtemp(prefix="chatlake-mixed-wh-"))
    tree = TranscriptGenerator(root / "projects", seed=9).write_tree(sessions=3, prompts=4)
    path = tree.root / "-home-dev-work-api" / f"{LATEST_CLAUDE}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    # the latest session of all, so that `show --last` without --source opens Claude Code's
    append_session_turns(path, LATEST_CLAUDE, CLAUDE_SPREAD, cwd="/home/dev/work/api",
                         start=datetime(2026, 9, 1, 10, tzinfo=timezone.utc))
    codex = CodexGenerator(root / "codex", seed=5)
    codex_sessions = [codex.session("g3", prompts=2) for _ in range(2)]
    codex.append(codex_sessions[0], CODEX_SPREAD)
    gemini = GeminiGenerator(root / "gemini" / "tmp", seed=6)
    gemini_sessions = [gemini.session("jsonl", prompts=2) for _ in range(2)]
    gemini.append(gemini_sessions[1], GEMINI_SPREAD)
    db = root / "chatlake.duckdb"
    summary = import_transcripts([tree.root, root / "codex" / "sessions", root / "gemini" / "tmp"], db)
    assert summary.ok, summary.test_failures
    latest = {"codex": max(codex_sessions, key=lambda s: s.clock.now).session_id,
              "gemini_cli": max(gemini_sessions, key=lambda s: s.clock.now).session_id}
    return db, latest


def mixed_warehouse(dest: Path) -> tuple[Path, dict[str, str]]:
    """A copy of a warehouse holding Claude Code, Codex and Gemini CLI sessions, and the latest
    session id of Codex and of Gemini CLI."""
    global _mixed
    if _mixed is None:
        _mixed = _build_mixed()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_mixed[0], dest)
    return dest, dict(_mixed[1])

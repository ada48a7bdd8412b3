"""Conformance over the real and third-party Codex CLI and Gemini CLI samples in ../shared/corpus/agents.

Skipped when the corpus is absent. The samples are copied into a temporary `$CODEX_HOME` and
`~/.gemini/tmp` under the names the tools give their files (some samples carry a parser's own
name); nothing of them enters the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from chatlake.api import import_transcripts
from conftest import CORPUS
from helpers import query

# $CHATLAKE_CORPUS names the corpus for a checkout that is not beside it (a git worktree)
AGENTS = Path(os.environ.get("CHATLAKE_CORPUS") or CORPUS) / "agents"
pytestmark = pytest.mark.skipif(not AGENTS.is_dir(), reason="../shared/corpus/agents is absent")

VIBE_CODEX = "VibeCodingTracker/tests/fixtures/sessions/codex.jsonl"
VIBE_GEMINI_LOG = "VibeCodingTracker/tests/fixtures/sessions/gemini.jsonl"
VIBE_GEMINI_DOC = "VibeCodingTracker/examples/test_conversation_gemini.json"
ORACLE = "codex-usage-tracker/tests/kernel/fixtures/accounting-oracle-v1/logs"


def _codex_samples() -> list[Path]:
    skip = ("copilot", "opencode", "/gemini/")
    found = [p for p in AGENTS.rglob("*.jsonl") if not any(s in str(p) for s in skip)
             and "gemini" not in p.name and "copilot" not in p.name]
    return sorted(found)


def _gemini_samples() -> list[Path]:
    found = [p for p in AGENTS.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")
             and ("gemini" in p.name or "/gemini/" in str(p)) and "schemas" not in str(p)]
    return sorted(found)


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("agents-corpus")
    placed: dict[str, Path] = {}
    for i, sample in enumerate(_codex_samples()):
        relative = str(sample.relative_to(AGENTS))
        if relative.startswith(ORACLE):  # keep the oracle's own layout: an archived copy beside two active files
            target = root / "codex" / relative[len(ORACLE) + 1:]
        else:
            name = sample.name if sample.name.startswith("rollout-") else f"rollout-2026-01-01T00-00-{i:02d}-{sample.stem}.jsonl"
            target = root / "codex" / "sessions" / f"s{i:02d}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, target)
        placed[relative] = target
    for i, sample in enumerate(_gemini_samples()):
        target = root / "gemini" / "tmp" / f"p{i:02d}" / "chats" / f"session-2026-01-01T00-{i:02d}-{sample.stem[:8]}{sample.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, target)
        placed[str(sample.relative_to(AGENTS))] = target
    db = root / "corpus.duckdb"
    summary = import_transcripts([root / "codex" / "sessions", root / "codex" / "archived_sessions",
                                  root / "gemini" / "tmp"], db)
    return db, summary, placed


def test_every_sample_lands_without_a_failure(corpus_warehouse):
    db, summary, placed = corpus_warehouse
    assert summary.files_failed == 0 and summary.build_ok, summary.failures + summary.test_failures
    assert summary.files_seen == len(placed)


def test_every_line_is_landed_or_rejected_with_a_reason(corpus_warehouse):
    db, _, placed = corpus_warehouse
    for relative, path in placed.items():
        if path.suffix == ".json":
            rows = query(db, "select count(*) from raw.gemini_records where source_file = ?", [str(path)])[0][0]
            rejected = query(db, "select count(*) from raw.rejected_lines where source_file = ?", [str(path)])[0][0]
            assert (rows > 0) != (rejected == 1), relative
            continue
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        table = "raw.codex_lines" if "/codex/" in str(path) else "raw.gemini_records"
        landed = query(db, f"select count(distinct byte_offset) from {table} where source_file = ?", [str(path)])[0][0]
        reasons = query(db, "select reason from raw.rejected_lines where source_file = ?", [str(path)])
        assert landed + len(reasons) == len(lines), relative
        assert all(reason for (reason,) in reasons)
    # the oracle's one malformed line, with Python's reason
    oracle = placed[f"{ORACLE}/sessions/rollout-2026-01-01T00-00-00-00000000-0000-4000-8000-000000000001.jsonl"]
    assert query(db, "select line_no, reason from raw.rejected_lines where source_file = ?", [str(oracle)]) == [
        (12, "invalid JSON: Expecting value at column 1")]


def _typed(db: Path, path: Path) -> list[str]:
    session = query(db, "select distinct session_id from raw.agent_files where source_file = ?", [str(path)])[0][0]
    return [c for (c,) in query(db, "select content from human_messages where session_id = ? order by message_index",
                                [session])]


def test_codex_human_messages_follow_the_notes(corpus_warehouse):
    db, _, placed = corpus_warehouse
    # 0.39 from the IDE extension: the environment block left out, only the request kept (FORMAT-NOTES.md 1.6)
    typed = _typed(db, placed[VIBE_CODEX])
    assert len(typed) == 1 and typed[0].startswith("幫我檢查一下 go.mod 裡面 為何 go版本是 1.24?")
    assert "My request for Codex" not in typed[0] and typed[0].endswith("最後幫我把 TODO.md 刪除")
    # the oracle: the parent's one prompt; its sub-agent is no session and has none
    parent = placed[f"{ORACLE}/sessions/rollout-2026-01-01T00-00-00-00000000-0000-4000-8000-000000000001.jsonl"]
    assert _typed(db, parent) == ["SYNTHETIC_PROMPT_SENTINEL"]
    assert query(db, "select count(*) from sessions where session_id = '00000000-0000-4000-8000-000000000002'") == [(0,)]
    # agentsview's plain sessions: a response_item prompt without events is kept, its developer text is not
    standard = placed["agentsview/internal/parser/testdata/codex/standard_session.jsonl"]
    assert _typed(db, standard)[0] == "Add rate limiting"
    assert query(db, "select count(*) from human_messages where source = 'codex' and content like '<environment_context>%'") == [(0,)]


def test_gemini_human_messages_follow_the_notes(corpus_warehouse):
    db, _, placed = corpus_warehouse
    # J2: `/init` (shown as its displayContent), "System: Please continue." (a tool response shown
    # as such) and info notices are no prompts; the one typed request is
    assert _typed(db, placed[VIBE_GEMINI_LOG]) == ["幫我做一個小修改 請幫我將上面確保執行時要透過 uv run 來執行 避免環境有問題"]
    typed = _typed(db, placed[VIBE_GEMINI_DOC])
    assert len(typed) == 1 and typed[0].startswith("請幫我依照專案實際狀況更新 README.md")
    v040 = placed["agent-sessions/Resources/Fixtures/stage0/agents/gemini/jsonl_v040.jsonl"]
    assert _typed(db, v040) == ["Say hello and list files."]
    # J2: 11 records, 5 ids written twice: last write wins, one row per message
    assert query(db, "select count(*), count(distinct message_id) from int_gemini_cli_messages_replayed"
                     " where source_file = ?", [str(placed[VIBE_GEMINI_LOG])]) == [(11, 11)]

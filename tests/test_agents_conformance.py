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

from chatlake.pipeline import import_transcripts
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


def _usage(db: Path, paths: list[Path]) -> tuple:
    """(uncached input, cached input, output, reasoning, total) of the responses read from `paths`."""
    return query(db, "select sum(input_tokens), sum(cache_read_tokens), sum(output_tokens), sum(reasoning_tokens),"
                     " sum(total_tokens) from assistant_responses where list_contains(?, source_file)",
                 [[str(p) for p in paths]])[0]


def test_codex_token_totals_are_the_oracles(corpus_warehouse):
    db, _, placed = corpus_warehouse
    # codex-usage-tracker's accounting oracle: a parent, its sub-agent and an archived copy of one
    # event (expected.json: input 430 of which 240 cached, output 85 of which 31 reasoning, total 515)
    oracle = [p for r, p in placed.items() if r.startswith(ORACLE)]
    assert _usage(db, oracle) == (190, 240, 85, 31, 515)
    # ccusage's branch history: the branch copies its parent's event and adds one delta
    branch = [p for r, p in placed.items() if "branch-history" in r]
    assert _usage(db, branch) == (1300, 300, 450, 40, 2050)
    # ccusage's model switch: the second event's delta goes to the model its `info` names
    alpha = placed["ccusage/apps/ccusage/test/fixtures/codex/sessions/project-alpha/session-alpha.jsonl"]
    assert query(db, "select model, input_tokens + cache_read_tokens, cache_read_tokens, output_tokens, reasoning_tokens"
                     " from assistant_responses where source_file = ? order by created_at", [str(alpha)]) == [
        ("gpt-5.2-codex", 1000, 250, 125, 75), ("gpt-5.3-codex", 2500, 500, 300, 200)]


def test_gemini_tokens_count_the_last_write_of_each_message(corpus_warehouse):
    db, _, placed = corpus_warehouse
    # FORMAT-NOTES.md 2.6: summing every line gives 373,199; the last write per id 206,879
    assert _usage(db, [placed[VIBE_GEMINI_LOG]])[4] == 206879
    assert query(db, "select count(*) from tool_calls where source = 'gemini_cli' and source_file = ?",
                 [str(placed[VIBE_GEMINI_LOG])]) == [(12,)]


def test_codex_rate_limits_are_kept_apart(corpus_warehouse):
    db, _, placed = corpus_warehouse
    parent = placed[f"{ORACLE}/sessions/rollout-2026-01-01T00-00-00-00000000-0000-4000-8000-000000000001.jsonl"]
    assert query(db, "select primary_used_percent, primary_window_minutes, secondary_used_percent, plan_type"
                     " from codex_rate_limits where source_file = ? order by byte_offset", [str(parent)]) == [
        (25.0, 300, 40.0, "synthetic"), (27.0, 300, 41.0, "synthetic")]


def test_gemini_responses_of_real_models_are_priced(corpus_warehouse):
    db, _, _ = corpus_warehouse
    # every model a sample's Gemini CLI wrote with tokens has a price (a message without a model has none)
    unpriced = query(db, "select distinct model from assistant_responses where source = 'gemini_cli'"
                         " and total_tokens > 0 and cost_usd is null and model is not null order by 1")
    assert unpriced == []
    priced = query(db, "select model, sum(cost_usd) > 0 from usage_daily where source = 'gemini_cli'"
                       " and unpriced_response_count = 0 group by model order by model")
    assert {m for m, _ in priced} >= {"gemini-3-flash-preview", "gemini-3.1-pro-preview", "gemini-3.1-pro-preview-customtools"}
    assert all(positive for _, positive in priced)

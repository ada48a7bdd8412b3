"""The deciding functions of the Codex CLI and Gemini CLI extractor, one input at a time."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from chatlake.extract.agents import gemini
from chatlake.core.settings import agent_roots, codex_roots, gemini_roots
from chatlake.extract.agents.kinds import transcript_kind
from chatlake.extract.agents.land import AgentLanded, canonical_rollouts, codex_session_id, plan_moves, refusal
from chatlake.extract.discover import FileStat

REPO = Path(__file__).resolve().parent.parent
NAME = "rollout-2026-02-23T12-54-34-019c8a5e-6f1e-7c33-9d2a-5a1b2c3d4e5f.jsonl"


def test_each_tool_is_told_from_the_path():
    assert transcript_kind(f"/h/.codex/sessions/2026/02/23/{NAME}") == "codex"
    assert transcript_kind(f"/h/.codex/archived_sessions/{NAME}") == "codex"
    assert transcript_kind("/h/.gemini/tmp/api/chats/session-2026-04-23T12-52-0ab84937.jsonl") == "gemini_cli"
    assert transcript_kind("/h/.gemini/tmp/9da8b3/chats/session-2026-03-27T10-19-8a20078e.json") == "gemini_cli"
    assert transcript_kind("/h/.gemini/tmp/api/chats/0ab84937/5f1e2d3c.jsonl") == "gemini_cli"  # a subagent's
    assert transcript_kind("/h/.gemini/tmp/api/logs.json") is None
    assert transcript_kind("/h/.gemini/tmp/api/chats/checkpoint-x.json") is None
    assert transcript_kind("/h/.claude/projects/-w/5f1e2d3c.jsonl") == "claude_code"
    assert transcript_kind("/h/.claude/projects/-w/journal.jsonl") is None


def test_default_folders_follow_each_tools_variables():
    assert codex_roots({"HOME": "/h"}) == [Path("/h/.codex/sessions"), Path("/h/.codex/archived_sessions")]
    assert codex_roots({"HOME": "/h", "CODEX_HOME": "/a, /b"}) == [
        Path("/a/sessions"), Path("/a/archived_sessions"), Path("/b/sessions"), Path("/b/archived_sessions")]
    assert gemini_roots({"HOME": "/h"}) == [Path("/h/.gemini/tmp")]
    assert gemini_roots({"HOME": "/h", "GEMINI_CLI_HOME": "/g"}) == [Path("/g/.gemini/tmp")]
    assert agent_roots({"HOME": "/h"}, skip=frozenset({"codex"})) == [Path("/h/.gemini/tmp")]


def _stat(path: str) -> FileStat:
    return FileStat(path, 10, 1, kind="codex")


def test_an_archived_copy_gives_way_to_the_active_rollout():
    active, archived = f"/c/sessions/2026/02/23/{NAME}", f"/c/archived_sessions/{NAME}"
    kept, left_out = canonical_rollouts([_stat(archived), _stat(active), _stat("/c/sessions/rollout-other.jsonl")])
    assert [s.path for s in kept] == [active, "/c/sessions/rollout-other.jsonl"] and left_out == 1


def test_a_rollout_landed_elsewhere_has_moved():
    old, new = f"/c/sessions/2026/02/23/{NAME}", f"/c/archived_sessions/{NAME}"
    landed = {old: AgentLanded(old, 10, 1, 10, 1, 10, "h", source="codex")}
    assert plan_moves([new], landed, present={new}) == [(old, new)]
    assert plan_moves([new], landed, present={new, old}) == []  # both copies are there: no move
    assert plan_moves(["/c/sessions/rollout-else.jsonl"], landed, present=set()) == []


def test_the_thread_comes_from_the_first_meta_else_the_name():
    envelope = json.dumps({"timestamp": "t", "type": "session_meta", "payload": {"id": "thread-1"}}).encode()
    assert codex_session_id(envelope, NAME) == "thread-1"
    assert codex_session_id(b'{"id": "old-1", "timestamp": "t", "instructions": null}', NAME) == "old-1"
    assert codex_session_id(b"not json", NAME) == "019c8a5e-6f1e-7c33-9d2a-5a1b2c3d4e5f"
    assert refusal("[1, 2]") == "not a JSON object: array"
    assert refusal("{x").startswith("invalid JSON: ")


def test_gemini_records_become_rows():
    kinds = lambda line: [(r[0], r[2], r[3]) for r in gemini.line_rows(line, "s")]  # noqa: E731
    assert kinds('{"sessionId":"s","projectHash":"p","startTime":"t","kind":"main"}') == [(0, "metadata", None)]
    assert kinds('{"id":"m1","type":"user","content":"hi"}') == [(0, "message", "m1")]
    assert kinds('{"$rewindTo":"m1"}') == [(0, "rewind", "m1")]
    assert kinds('{"$set":{"lastUpdated":"t"}}') == [(0, "set", None)]
    assert kinds('{"$set":{"messages":[{"id":"a"},{"id":"b"}]}}') == [
        (0, "set", None), (1, "checkpoint", None), (2, "message", "a"), (3, "message", "b")]
    assert list(gemini.line_rows("[1]", "s")) == ["not a JSON object"]
    rows, reason = gemini.document_rows(b'{"sessionId":"s","messages":[{"id":"a","type":"user"}]}', "/x.json")
    assert reason is None and [(r[2], r[3]) for r in rows] == [("metadata", None), ("message", "a")]
    assert gemini.document_rows(b'{"sessionId":"s","mess', "/x.json")[1].startswith("invalid JSON document: ")


def test_every_seed_marker_has_its_unit_test():
    tests = yaml.safe_load((REPO / "models/intermediate/_agents__unit_tests.yml").read_text())["unit_tests"]
    given = {t["name"]: {g["input"]: g for g in t["given"]} for t in tests}
    for test, seed in (("judge_codex_user_messages", "codex_injected_markers"),
                       ("judge_gemini_cli_user_messages", "gemini_cli_injected_markers")):
        rows = given[test][f"ref('{seed}')"]["rows"]
        assert rows.strip() == (REPO / "seeds" / f"{seed}.csv").read_text().strip(), f"{test} lags {seed}.csv"

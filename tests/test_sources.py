"""`--source` on every command that filters, on one warehouse of Claude Code, Codex and Gemini CLI sessions.

Through the real CLI (typer's CliRunner), a real pgvector store with the query embedded by the
local stub server, and the real MCP client over stdio.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.core.sources import SOURCES
from chatlake.embed.api import embed_messages
from helpers import query
from openai_stub import StubServer, StubState
from pg_support import drop_database, fresh_database
from search_support import CLAUDE_SPREAD, CODEX_SPREAD, GEMINI_SPREAD, LATEST_CLAUDE, SPREAD, mixed_warehouse

runner = CliRunner()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    db, latest = mixed_warehouse(tmp_path_factory.mktemp("sources") / "chatlake.duckdb")
    return {"db": db, "latest": latest}


@pytest.fixture(scope="module")
def store(mixed):
    """The mixed warehouse embedded into a fresh pgvector database through the real embed step."""
    stub = StubServer(StubState()).start()
    dsn = fresh_database()
    assert embed_messages(db=mixed["db"], target=dsn, base_url=stub.base_url,
                          environ={"OPENAI_BASE_URL": stub.base_url}).ok
    yield {**mixed, "dsn": dsn, "stub": stub}
    stub.stop()
    drop_database(dsn)


def cli(db, *args: str, env: dict | None = None):
    return runner.invoke(app, [*args, "--db", str(db)], env=env)


def search_hits(store, *args: str) -> list[dict]:
    env = {"OPENAI_BASE_URL": store["stub"].base_url, "SUPABASE_DB_URL": store["dsn"]} if "stub" in store else None
    result = cli(store["db"], "search", SPREAD, "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["note"] is None and (found["mode"] == "text") == ("--text" in args)  # no fallback to words
    return found["hits"]


def test_a_bad_source_is_a_usage_error_naming_the_sources(mixed):
    for command in (["search", SPREAD, "--text"], ["usage", "daily"], ["show", "--last"], ["report"]):
        result = cli(mixed["db"], *command, "--source", "codex,cursor")
        assert result.exit_code == 2, (command, result.output)
        line = result.stderr.strip()
        assert "\n" not in line and "unknown source 'cursor'" in line and ", ".join(SOURCES) in line


def test_text_search_filters_before_it_ranks_and_cuts(mixed):
    everything = search_hits(mixed, "--text", "-k", "3")
    assert {h["source"] for h in everything} == {"claude_code"}  # Claude Code's prompts say it most
    codex = search_hits(mixed, "--text", "-k", "2", "--source", "codex")
    assert sorted(h["content"] for h in codex) == sorted(CODEX_SPREAD)
    both = search_hits(mixed, "--text", "-k", "5", "--source", "codex", "--source", "gemini_cli")
    assert sorted(h["content"] for h in both) == sorted(CODEX_SPREAD + GEMINI_SPREAD)
    assert search_hits(mixed, "--text", "--source", "gemini_cli,codex", "-k", "5") == both
    assert search_hits(mixed, "--text", "--source", "chatgpt") == []
    assert "no matches" in cli(mixed["db"], "search", SPREAD, "--text", "--source", "chatgpt").stdout


def test_vector_searches_filter_inside_the_store(store):
    for mode in ([], ["--semantic"]):
        gemini = search_hits(store, *mode, "-k", "4", "--source", "gemini_cli")
        assert len(gemini) == 4 and {h["source"] for h in gemini} == {"gemini_cli"}, mode
        if not mode:  # hybrid: the words rank the known prompt first
            assert gemini[0]["content"] == GEMINI_SPREAD[0]
        assert {h["source"] for h in search_hits(store, *mode, "-k", "10", "--source", "codex,claude_code")} \
            == {"codex", "claude_code"}


def test_rest_searches_filter_sources_in_the_function(store, monkeypatch):
    """Through a local STAND-IN for Supabase's REST gateway (PostgREST cannot run here)."""
    from embed_support import rest_standin

    monkeypatch.setattr(rest_standin, "FUNCTIONS", rest_standin.FUNCTIONS | {"chatlake_search_messages"})
    standin = rest_standin.RestStandIn(store["dsn"], "service-key").start()
    try:
        env = {"OPENAI_BASE_URL": store["stub"].base_url, "SUPABASE_URL": standin.url,
               "SUPABASE_SERVICE_ROLE_KEY": "service-key"}
        runs = [cli(store["db"], "search", SPREAD, "--json", "-k", "2", *args, env=env)
                for args in (["--source", "codex"], [])]
    finally:
        standin.stop()
    assert all(run.exit_code == 0 for run in runs), [run.output for run in runs]
    codex, unfiltered = (json.loads(run.stdout) for run in runs)
    assert codex["target"].startswith("rest:")
    assert sorted(h["content"] for h in codex["hits"]) == sorted(CODEX_SPREAD)
    assert len(unfiltered["hits"]) == 2 and "claude_code" in {h["source"] for h in unfiltered["hits"]}
    assert sum(path.endswith("/rpc/chatlake_search_messages") for path, _ in standin.calls) == 2
    # a Supabase project whose SQL editor ran the older schema has no filter_sources: it is sent only when asked
    from chatlake.vectorstore import VectorQuery

    assert "filter_sources" not in VectorQuery("q", "[1]", "m").arguments()
    assert VectorQuery("q", "[1]", "m", sources=("codex",)).arguments()["filter_sources"] == ["codex"]


def test_a_store_with_the_older_search_function_upgrades_in_place(store):
    """A store whose search function predates filter_sources: the first search replaces it, and answers."""
    old = ("chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz, timestamptz,"
           " double precision, double precision, integer, text)")
    with psycopg.connect(store["dsn"], autocommit=True) as con:
        con.execute("drop function chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz,"
                    " timestamptz, double precision, double precision, integer, text, text[])")
        # the signature of the release before, as a store last prepared by it holds it
        con.execute("""
            create function chatlake_search_messages(
                query_text text, query_embedding vector, match_count integer default 10,
                filter_model text default null, filter_kinds text[] default null, filter_project text default null,
                created_after timestamptz default null, created_before timestamptz default null,
                full_text_weight double precision default 1, semantic_weight double precision default 1,
                rrf_k integer default 50, filter_warehouse text default null)
            returns table (message_uuid text) language sql as $$ select null::text where false $$""")
    hits = search_hits(store, "-k", "2", "--source", "codex")
    assert sorted(h["content"] for h in hits) == sorted(CODEX_SPREAD)
    with psycopg.connect(store["dsn"]) as con:
        assert con.execute("select to_regprocedure(%s)", [old]).fetchone()[0] is None
    assert search_hits(store, "-k", "3")  # without a source too


def test_usage_counts_every_app_with_usage_unless_told(mixed):
    def daily(*args: str) -> dict:
        result = cli(mixed["db"], "usage", "daily", "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    every = daily()
    per_app = {source: daily("--source", source) for source in ("claude_code", "codex", "gemini_cli")}
    assert set(every) == {"daily", "totals"} and every["totals"].keys() == per_app["codex"]["totals"].keys()
    assert all(part["totals"]["totalTokens"] > 0 for part in per_app.values())
    assert every["totals"]["totalTokens"] == sum(part["totals"]["totalTokens"] for part in per_app.values())
    agents = daily("--source", "codex,gemini_cli")
    assert agents["totals"]["totalTokens"] == (per_app["codex"]["totals"]["totalTokens"]
                                               + per_app["gemini_cli"]["totals"]["totalTokens"])
    codex_days = query(mixed["db"], "select count(distinct created_at::date) from assistant_responses"
                                    " where source = 'codex' and has_usage")[0][0]
    assert len(per_app["codex"]["daily"]) == codex_days
    for report in ("weekly", "monthly", "session", "blocks"):
        result = cli(mixed["db"], "usage", report, "--json", "--source", "gemini_cli")
        assert result.exit_code == 0, (report, result.output)
        body = json.loads(result.stdout)
        rows = body.get("sessions") or body.get("blocks") or body.get("weekly") or body.get("monthly")
        assert rows, report
    sessions = json.loads(cli(mixed["db"], "usage", "session", "--json", "--source", "gemini_cli").stdout)
    gemini = {r[0] for r in query(mixed["db"], "select session_id from sessions where source = 'gemini_cli'")}
    assert {s["sessionId"] for s in sessions["sessions"]} == gemini
    assert cli(mixed["db"], "usage", "daily", "--json", "--source", "chatgpt").stdout.count("totalTokens") == 1
    # the table's title names whose usage it counts
    assert "Token usage by day" in cli(mixed["db"], "usage", "daily").stdout
    assert "Codex and Gemini CLI token usage by day" in cli(mixed["db"], "usage", "daily", "--source",
                                                            "codex,gemini_cli").stdout


def test_show_last_opens_the_latest_session_of_a_source(mixed):
    def last(*args: str) -> dict:
        result = cli(mixed["db"], "show", "--last", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert last()["session_id"] == LATEST_CLAUDE
    for source in ("codex", "gemini_cli"):
        shown = last("--source", source)
        assert shown["session_id"] == mixed["latest"][source] and shown["source"] == source
    missing = cli(mixed["db"], "show", "--last", "--source", "chatgpt")
    assert missing.exit_code == 2 and "no session from chatgpt" in missing.stderr


def test_report_draws_only_the_sources_asked_for(mixed, tmp_path, monkeypatch):
    from test_report import specs, values

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def page(*args: str) -> str:
        out = tmp_path / "report.html"
        result = cli(mixed["db"], "report", "-o", str(out), *args)
        assert result.exit_code == 0, result.output
        return out.read_text(encoding="utf-8")

    prompts = dict(query(mixed["db"], "select source, count(*) from human_messages group by all"))
    for args, sources in ((["--source", "codex"], {"codex"}),
                          (["--source", "codex", "--source", "gemini_cli"], {"codex", "gemini_cli"}),
                          (["--source", "gemini_cli,claude_code"], {"gemini_cli", "claude_code"})):
        drawn = specs(page(*args))
        assert sum(r["prompts"] for r in values(drawn["prompts-per-day"])) == sum(prompts[s] for s in sources)
        assert "tokens-per-day" in drawn
    html = page("--source", "codex")
    assert "source codex" in html
    assert 'id="retention"' not in html  # only Claude Code deletes its transcripts


def test_mcp_search_fills_its_limit_from_a_rare_source(mixed, tmp_path):
    from test_mcp import client, run, text

    async def go():
        async with client(mixed["db"]) as c:
            return (await c.call_tool("search", {"query": SPREAD, "mode": "text", "limit": 2, "source": "codex"}),
                    await c.call_tool("search", {"query": SPREAD, "mode": "text", "limit": 2}))

    codex, unfiltered = run(go())
    assert not codex.is_error and not unfiltered.is_error
    found = text(codex)
    assert found.count("source=codex") == 2 and "source=claude_code" not in found
    assert all(prompt in found for prompt in CODEX_SPREAD)
    assert text(unfiltered).count("source=claude_code") == 2
    assert CLAUDE_SPREAD[0].split(":")[0] in text(unfiltered)

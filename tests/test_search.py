"""`chatlake search` over a real warehouse and a real pgvector, with the query embedded by the local stub server."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import psycopg
import pytest
from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.embed.api import embed_messages
from chatlake.search import make_filters, make_snippet, parse_when, query_terms, SearchError
from helpers import query
from openai_stub import StubServer, StubState
from pg_support import drop_database, fresh_database
from search_support import ALL_TERMS, KNOWN, ONE_TERM, RARE, SHARED, warehouse

INJECTION = "x'); drop table chatlake_messages; select ('\"; delete from human_messages; --"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Warehouse + pgvector target holding every kind of message, embedded through the real embed step."""
    db, tree = warehouse(tmp_path_factory.mktemp("search") / "chatlake.duckdb")
    stub = StubServer(StubState()).start()
    dsn = fresh_database()
    summary = embed_messages(db=db, target=dsn, base_url=stub.base_url, kinds=["prompt", "command", "bash", "memory"],
                             environ={"OPENAI_BASE_URL": stub.base_url})
    assert summary.ok and summary.embedded > 0
    yield {"db": db, "dsn": dsn, "stub": stub, "tree": tree}
    stub.stop()
    drop_database(dsn)


def run(store, *args: str):
    env = {"OPENAI_BASE_URL": store["stub"].base_url, "CHATLAKE_DB": str(store["db"]), "SUPABASE_DB_URL": store["dsn"]}
    return CliRunner().invoke(app, ["search", *args], env=env)


def hits(store, *args: str) -> list[dict]:
    result = run(store, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["hits"]


def test_a_known_message_is_the_top_hit_for_its_own_words(store):
    for mode in ([], ["--semantic"]):
        top = hits(store, KNOWN, *mode)[0]
        assert top["content"] == KNOWN
        assert top["similarity"] == pytest.approx(1.0, abs=1e-5)


def test_hybrid_finds_a_rare_token_whose_vector_is_not_the_nearest(store):
    nearest = hits(store, "E4711", "--semantic")[0]
    assert nearest["content"] != RARE  # the stub's vectors do not know the token
    top = hits(store, "E4711")[0]
    assert top["content"] == RARE
    assert top["similarity"] < nearest["similarity"]


def test_filters_exclude_what_they_should(store):
    both = [h for h in hits(store, SHARED, "-k", "20") if h["content"] == SHARED]
    assert {h["project_path"] for h in both} == {"/home/dev/work/web", "/home/dev/work/infra"}

    web = hits(store, SHARED, "--project", "web", "-k", "20")
    assert web and {h["project_path"] for h in web} == {"/home/dev/work/web"}
    assert hits(store, SHARED, "--project", "/home/dev/work/infra")[0]["project_path"] == "/home/dev/work/infra"
    # LIKE's wildcards are letters in a project name, in every mode
    for mode in ([], ["--semantic"], ["--text"]):
        assert hits(store, SHARED, "--project", "%", *mode) == []
        assert hits(store, SHARED, "--project", "w_b", *mode) == []

    late = hits(store, SHARED, "--since", "2026-06-01", "-k", "50")
    assert late and all(h["created_at"] >= "2026-06-01" for h in late)
    early = hits(store, SHARED, "--until", "2026-05-31", "-k", "50")
    assert early and all(h["created_at"] < "2026-06-01" for h in early)
    assert SHARED in [h["content"] for h in early]
    assert "/home/dev/work/infra" not in {h["project_path"] for h in early if h["content"] == SHARED}

    bash = hits(store, "run the tests", "--kind", "bash", "-k", "50")
    assert bash and {h["kind"] for h in bash} == {"bash"}


def test_text_search_ranks_all_terms_above_one_term(store):
    newer = query(store["db"], "select max(created_at) filter (where content = ?) > max(created_at) filter"
                               " (where content = ?) from human_messages", [ONE_TERM, ALL_TERMS])[0][0]
    assert newer  # recency alone would put the one-term message first
    found = [h["content"] for h in hits(store, "Lexer TOKENIZER grammar", "--text")]
    assert found.index(ALL_TERMS) < found.index(ONE_TERM)
    assert found[0] == ALL_TERMS


def test_quotes_and_semicolons_only_search(store):
    before_pg = psycopg.connect(store["dsn"]).execute("select count(*) from chatlake_messages").fetchone()[0]
    before_dk = query(store["db"], "select count(*) from human_messages")[0][0]
    for mode in ([], ["--semantic"], ["--text"]):
        result = run(store, INJECTION, *mode, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["query"] == INJECTION
    with psycopg.connect(store["dsn"]) as con:
        assert con.execute("select count(*) from chatlake_messages").fetchone()[0] == before_pg
    assert query(store["db"], "select count(*) from human_messages")[0][0] == before_dk


def test_human_output_shows_date_project_branch_title_and_snippet(store):
    result = run(store, "E4711")
    assert result.exit_code == 0, result.output
    first = result.stdout.split("\n\n")[0]
    assert "2026-05-01" in first and "api" in first and "[main]" in first
    assert "E4711" in result.stdout
    title = query(store["db"], "select title from sessions where session_id = 'a0000000-0000-4000-8000-000000000001'")[0][0]
    assert title and title[:30] in result.stdout


def test_session_groups_hits_and_k_counts_sessions(store):
    result = run(store, SHARED, "--session", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    sessions = json.loads(result.stdout)["sessions"]
    assert len(sessions) == 2
    assert all(h["session_id"] == s["session_id"] for s in sessions for h in s["hits"])


def test_without_embeddings_it_searches_words_and_says_so(tmp_path):
    db, _ = warehouse(tmp_path / "chatlake.duckdb")
    result = CliRunner().invoke(app, ["search", "lexer tokenizer", "--db", str(db)], env={"OPENAI_API_KEY": "sk-none"})
    assert result.exit_code == 0, result.output
    assert "no embeddings yet" in result.stderr
    assert ALL_TERMS in result.stdout


def test_bad_filter_is_one_line(tmp_path):
    db, _ = warehouse(tmp_path / "chatlake.duckdb")
    result = CliRunner().invoke(app, ["search", "x", "--text", "--since", "last tuesday", "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "not a date" in result.stderr


def test_query_terms_and_snippet():
    assert query_terms("Fix 'parser.py', fix  THE (bug)!") == ["fix", "parser.py", "the", "bug"]
    text = "word " * 60 + "the E4711 code" + " tail" * 60
    snip = make_snippet(text, ["e4711"], width=60)
    assert "E4711" in snip and snip.startswith("…") and snip.endswith("…")
    assert make_snippet("short text", ["absent"]) == "short text"


def test_dates_are_inclusive_days():
    f = make_filters(since="2026-05-01", until="2026-05-01", kinds=["prompt,bash"])
    assert f.since == datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert f.until == datetime(2026, 5, 2, tzinfo=timezone.utc)
    assert f.kinds == ("prompt", "bash")
    assert parse_when("2026-05-01T10:00:00Z") == datetime(2026, 5, 1, 10, tzinfo=timezone.utc)
    with pytest.raises(SearchError):
        make_filters(kinds=["chat"])


def test_rest_only_searches_through_rpc(store, monkeypatch):
    """Through a local STAND-IN for Supabase's REST gateway (PostgREST cannot run here): search by `rpc`."""
    from embed_support import rest_standin

    monkeypatch.setattr(rest_standin, "FUNCTIONS", rest_standin.FUNCTIONS | {"chatlake_search_messages"})
    standin = rest_standin.RestStandIn(store["dsn"], "service-key").start()
    try:
        env = {"OPENAI_BASE_URL": store["stub"].base_url, "CHATLAKE_DB": str(store["db"]),
               "SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": "service-key"}
        result = CliRunner().invoke(app, ["search", "E4711", "--json", "--project", "api"], env=env)
    finally:
        standin.stop()
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["target"].startswith("rest:") and found["hits"][0]["content"] == RARE
    assert {h["project_path"] for h in found["hits"]} == {"/home/dev/work/api"}
    assert any(path.endswith("/rpc/chatlake_search_messages") for path, _ in standin.calls)
    assert "service-key" not in result.output


def test_the_search_function_runs_as_the_caller(store):
    """Without grants on the tables, a role gets nothing through the function (security invoker, RLS on)."""
    with psycopg.connect(store["dsn"], autocommit=True) as con:
        con.execute("drop role if exists chatlake_outsider")
        con.execute("create role chatlake_outsider nologin")
        vector = "[" + ",".join(["0.1"] * 1536) + "]"
        call = "select count(*) from chatlake_search_messages('E4711', %s::vector)"
        con.execute("set role chatlake_outsider")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute(call, [vector])
        con.execute("reset role")
        con.execute("grant execute on all functions in schema public to chatlake_outsider")
        con.execute("set role chatlake_outsider")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="chatlake_"):
            con.execute(call, [vector])
        con.execute("reset role")
        assert con.execute(call, [vector]).fetchone()[0] > 0


def test_a_search_answers_from_its_own_warehouse(store, tmp_path):
    """Two warehouses embedded into one store: each search sees its own, --all-warehouses sees both."""
    from embed_support.warehouse import make_warehouse, message

    other_text = "only the second warehouse knows about the zeppelin hangar lease"
    other = make_warehouse(tmp_path / "other.duckdb", [message(other_text, session="b-session")])
    env = {"OPENAI_BASE_URL": store["stub"].base_url}
    assert embed_messages(db=other, target=store["dsn"], base_url=store["stub"].base_url, environ=env).ok

    own = hits(store, other_text, "--semantic", "-k", "50")
    assert own and other_text not in [h["content"] for h in own]
    assert {h["warehouse_id"] for h in own} == {query(store["db"], "select warehouse_id from embed.warehouse")[0][0]}
    theirs = hits(store, other_text, "--semantic", "--db", str(other))
    assert [h["content"] for h in theirs] == [other_text]
    both = hits(store, other_text, "--all-warehouses", "-k", "50")
    assert both[0]["content"] == other_text and KNOWN in [h["content"] for h in hits(
        store, KNOWN, "--all-warehouses", "--semantic")]
    assert len({h["warehouse_id"] for h in both}) == 2


def test_a_warehouse_never_embedded_searches_its_words_and_says_so(store, tmp_path):
    """Its file is not in the store (another warehouse is): words in the warehouse, with a note."""
    db, _ = warehouse(tmp_path / "fresh.duckdb")
    result = run(store, KNOWN, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "this warehouse has no embeddings yet" in result.stderr
    assert KNOWN in result.stdout


def test_hybrid_hits_lead_with_their_labelled_fused_score_in_order(store):
    result = run(store, SHARED, "-k", "8")
    assert result.exit_code == 0, result.output
    heads = [line for line in result.stdout.splitlines() if line.startswith("score ")]
    assert len(heads) >= 3
    scores = [float(line.split()[1]) for line in heads]
    assert scores == sorted(scores, reverse=True)
    assert all(" · claude_code" in line for line in heads)
    assert max(map(len, heads)) <= 80
    semantic = [line for line in run(store, SHARED, "--semantic").stdout.splitlines() if line.startswith("sim ")]
    assert len(semantic) >= 3


def test_every_hit_names_its_source_in_json(store):
    for mode in ([], ["--semantic"], ["--text"]):
        found = hits(store, SHARED, *mode)
        assert found and {h["source"] for h in found} == {"claude_code"}


def test_since_after_until_is_a_usage_error(store):
    result = run(store, SHARED, "--since", "2026-06-02", "--until", "2026-06-01")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "--since 2026-06-02 is after --until 2026-06-01" in result.stderr
    same_day = run(store, SHARED, "--since", "2026-06-10", "--until", "2026-06-10", "--json")
    assert same_day.exit_code == 0 and json.loads(same_day.stdout)["hits"]

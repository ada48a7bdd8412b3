"""`chatlake status`: counts from the warehouse, the last import, and what is left to embed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.embed.api import embed_messages
from chatlake.embed.config import MODEL_PRICES
from chatlake.status import measured_rate
from helpers import query
from openai_stub import StubServer, StubState
from pg_support import drop_database, fresh_database
from search_support import warehouse


def status(db) -> dict:
    result = CliRunner().invoke(app, ["status", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A warehouse whose prompts were all embedded into a real pgvector through the stub server."""
    db, tree = warehouse(tmp_path_factory.mktemp("status") / "chatlake.duckdb")
    stub = StubServer(StubState()).start()
    dsn = fresh_database()
    summary = embed_messages(db=db, target=dsn, base_url=stub.base_url, environ={"OPENAI_BASE_URL": stub.base_url})
    stub.stop()
    drop_database(dsn)
    assert summary.ok
    return db, tree, summary


def test_counts_match_the_imported_tree(tmp_path):
    db, tree = warehouse(tmp_path / "chatlake.duckdb")
    s = status(db)
    assert s["files_seen"] == len(tree.files)
    assert s["files_bytes"] == sum(p.stat().st_size for p in tree.files)
    assert s["sessions"] == len(tree.sessions)
    assert s["by_kind"] == dict(Counter(m.kind for m in tree.expected))
    assert s["human_messages"] == len(tree.expected)
    first, last = query(db, "select min(created_at), max(created_at) from human_messages")[0]
    assert s["first_activity"] == first.isoformat() and s["last_activity"] == last.isoformat()
    assert s["last_import"]["lines_landed"] == query(db, "select count(*) from raw.lines")[0][0]
    assert s["last_import"]["files_new"] == len(tree.files)
    assert s["rejected_lines"] == 0
    assert s["embeddings"] == []


def test_rejected_lines_are_counted(tmp_path):
    db, tree = warehouse(tmp_path / "chatlake.duckdb")
    con = duckdb.connect(str(db))
    con.execute("insert into raw.rejected_lines values (99, 'x.jsonl', 3, 120, 'not json', '{oops')")
    con.close()
    assert status(db)["rejected_lines"] == 1


def test_after_embedding_nothing_remains(embedded):
    db, _, summary = embedded
    (m,) = status(db)["embeddings"]
    assert m["model"] == "text-embedding-3-small" and m["kinds"] == ["prompt"]
    assert m["embedded"] == summary.embedded
    assert m["remaining"] == 0 and m["remaining_tokens"] == 0 and m["remaining_cost"] == 0


def test_remaining_hashes_tokens_cost_and_time(embedded, tmp_path):
    db, _, _ = embedded
    copy = tmp_path / "chatlake.duckdb"
    copy.write_bytes(db.read_bytes())
    con = duckdb.connect(str(copy))
    # The ledger forgets five hashes (as if they were never pushed), and shows two timed runs.
    forgotten = con.execute("select content_hash, tokens from embed.ledger order by content_hash limit 5").fetchall()
    con.execute("delete from embed.ledger where content_hash in (select unnest(?))", [[h for h, _ in forgotten]])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    con.execute("update embed.ledger set pushed_at = ? where content_hash in"
                " (select content_hash from embed.ledger order by content_hash limit 4)", [start])
    con.execute("update embed.ledger set pushed_at = ? where content_hash not in"
                " (select content_hash from embed.ledger order by content_hash limit 4)", [start + timedelta(seconds=10)])
    later = con.execute("select count(*) from embed.ledger").fetchone()[0] - 4
    con.close()

    (m,) = status(copy)["embeddings"]
    assert m["remaining"] == 5
    true_tokens = sum(t for _, t in forgotten)
    assert abs(m["remaining_tokens"] - true_tokens) <= max(5, true_tokens * 0.5)
    assert m["remaining_cost"] == pytest.approx(m["remaining_tokens"] * MODEL_PRICES[m["model"]] / 1e6)
    assert m["rate_per_second"] == pytest.approx(later / 10)
    assert m["remaining_seconds"] == pytest.approx(5 / (later / 10))
    text = CliRunner().invoke(app, ["status", "--db", str(copy)]).stdout
    assert "5 remaining" in text and "$" in text


def test_measured_rate_uses_the_last_timed_runs():
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    at = lambda s: t0 + timedelta(seconds=s)  # noqa: E731
    assert measured_rate([]) is None
    assert measured_rate([(at(0), 100)]) is None  # one write: no clock
    # run 1: 100 hashes in 10 s after its first write; run 2 an hour later: 50 in 5 s
    flushes = [(at(0), 7), (at(5), 50), (at(10), 50), (at(3600), 9), (at(3605), 50)]
    assert measured_rate(flushes) == pytest.approx(150 / 15)
    assert measured_rate(flushes, runs=1) == pytest.approx(50 / 5)


def test_missing_warehouse_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "chatlake import" in result.stderr and len(result.stderr.strip().splitlines()) == 1

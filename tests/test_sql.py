"""`chatlake sql`: read-only queries on a real warehouse, output formats that parse back, the lock message."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile

import duckdb
import pytest
from typer.testing import CliRunner

from chatlake.cli import app
from helpers import query
from search_support import warehouse

KINDS_SQL = "select kind, count(*) as n, min(created_at) as first_at from human_messages group by kind order by kind"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return warehouse(tmp_path_factory.mktemp("sql") / "chatlake.duckdb")[0]


def sql(db, *args: str, input: str | None = None):
    return CliRunner().invoke(app, ["sql", *args, "--db", str(db)], input=input)


def test_csv_parses_back_to_the_rows(db):
    result = sql(db, KINDS_SQL, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = query(db, KINDS_SQL)
    assert [(r["kind"], int(r["n"])) for r in rows] == [(k, n) for k, n, _ in expected]
    assert rows[0]["first_at"].startswith(expected[0][2].isoformat()[:19])


def test_json_parses_back_to_the_rows(db):
    result = sql(db, KINDS_SQL, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["n"]) for r in rows] == [(k, n) for k, n, _ in query(db, KINDS_SQL)]


def test_csv_keeps_commas_quotes_and_newlines(db):
    result = sql(db, """select 'a, "b"' || chr(10) || 'c' as tricky, null as nothing""", "--format", "csv")
    assert list(csv.reader(io.StringIO(result.stdout))) == [["tricky", "nothing"], ['a, "b"\nc', ""]]


def test_table_and_markdown(db):
    table = sql(db, KINDS_SQL)
    assert table.exit_code == 0 and "prompt" in table.stdout and "rows" in table.stdout
    md = sql(db, KINDS_SQL, "--format", "markdown").stdout.splitlines()
    assert md[0] == "| kind | n | first_at |" and md[1].count("---") == 3
    assert len(md) == 2 + len(query(db, KINDS_SQL))


def test_writes_are_refused_in_one_line(db):
    result = sql(db, "delete from human_messages")
    assert result.exit_code == 1
    assert "read-only" in result.stderr.lower() and "Traceback" not in result.output
    assert query(db, "select count(*) from human_messages")[0][0] > 0


def test_bad_sql_and_bad_format_are_one_line(db):
    result = sql(db, "select * from no_such_table")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "no_such_table" in result.stderr
    assert sql(db, "select 1", "--format", "xml").exit_code == 2


def test_query_from_stdin_when_not_a_terminal(db):
    result = sql(db, "--format", "json", input="select 41 + 1 as answer")
    assert json.loads(result.stdout) == [{"answer": 42}]


def test_a_held_write_lock_is_one_line_suggesting_to_wait(db):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
                               " time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = subprocess.run([sys.executable, "-m", "chatlake.cli", "sql", "select 1", "--db", str(db)],
                                capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir())
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"process {holder.pid}" in lines[0] and "wait" in lines[0]


def test_queries_touch_no_file_but_the_warehouse(db, tmp_path, monkeypatch):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table keep as select 1 as x")
    con.close()
    before = other.read_bytes()
    monkeypatch.setenv("CHATLAKE_TEST_SECRET", "sk-not-for-your-eyes")
    attempts = [
        f"copy (select 1) to '{tmp_path / 'out.csv'}'",
        f"copy human_messages to '{other}'",
        f"export database '{tmp_path / 'dump'}'",
        f"attach '{other}' as o (read_only false); delete from o.keep",
        "select * from read_text('/proc/self/environ')",
        "set enable_external_access = true",
        "set lock_configuration = false",
    ]
    for attempt in attempts:
        result = sql(db, attempt, "--format", "csv")
        assert result.exit_code == 1, (attempt, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
        assert "sk-not-for-your-eyes" not in result.output
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "dump").exists()
    assert other.read_bytes() == before


def test_allow_files_lets_a_query_write_a_file_but_not_the_warehouse(db, tmp_path):
    out = tmp_path / "kinds.csv"
    result = sql(db, f"copy ({KINDS_SQL}) to '{out}' (header)", "--allow-files")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == "kind,n,first_at"
    assert sql(db, "delete from human_messages", "--allow-files").exit_code == 1

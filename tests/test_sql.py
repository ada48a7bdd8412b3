"""`chatlake sql`: read-only queries on a real warehouse, output formats that parse back, the lock message."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

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


def in_terminal(args: list[str], keys: str = "", env: dict | None = None) -> tuple[int, str]:
    """`chatlake ARGS` on a pseudo-terminal of 80x24 (what `isatty` and rich see in a shell), typing KEYS."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "dumb", "PAGER": "cat", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "chatlake.cli", *args], stdin=slave, stdout=slave, stderr=slave,
                            cwd=tempfile.gettempdir(), env=env)
    os.close(slave)
    if keys:
        os.write(master, keys.encode())
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())  # colours and styles
    return proc.wait(timeout=60), text.replace("\r\n", "\n")


@pytest.mark.parametrize("statement", ["", ";", " ;; ", "-- only a comment", "/* a note */;"])
def test_an_empty_statement_is_a_usage_error_in_one_line(db, statement):
    result = sql(db, statement)
    assert result.exit_code == 2, result.output
    assert "query is empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_empty_stdin_is_a_usage_error_in_one_line(db):
    result = sql(db, input="")
    assert result.exit_code == 2 and "query is empty" in result.stderr and "Traceback" not in result.output


def test_a_query_starting_with_a_comment_is_not_an_option(db):
    result = sql(db, "-- the answer\nselect 42 as answer", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"answer": 42}]
    assert sql(db, "--formatt", "csv").exit_code == 2  # a mistyped option stays a usage error


def test_the_prompt_survives_a_lone_semicolon_and_knows_help_and_tables(db):
    code, output = in_terminal(["sql", "--db", str(db), "--format", "csv"],
                               keys=";\nhelp\n.tables\nselect 42 as answer;\nexit\n")
    assert code == 0, output
    assert any(line.startswith("chatlake sql: end a query with `;`") for line in output.splitlines())
    assert "Traceback" not in output and "error" not in output
    assert ".tables" in output and "answer\n42\n" in output
    groups = [line.split(":")[0] for line in output.splitlines() if line.startswith(("marts:", "raw:", "dbt steps:"))]
    assert groups == ["marts", "raw", "dbt steps"]
    marts = next(line for line in output.splitlines() if line.startswith("marts:"))
    assert "main.human_messages" in marts and "main.sessions" in marts and "int_" not in marts


DOC_SQL = "select 'id-' || i as id, repeat('a pasted document line. ', 400) as doc from range(3) t(i)"


def test_in_a_terminal_cells_are_cut_to_fit_and_wide_shows_them_whole(db):
    code, output = in_terminal(["sql", DOC_SQL, "--db", str(db)])
    assert code == 0, output
    lines = output.splitlines()
    assert max(map(len, lines)) <= 80 and len(lines) <= 10, output
    assert "id-2" in output and "…" in output and "3 rows" in output

    code, whole = in_terminal(["sql", DOC_SQL, "--db", str(db), "--wide"], env={"PAGER": "echo PAGED; cat"})
    assert code == 0 and whole.startswith("PAGED\n")  # taller than the screen: through $PAGER
    assert whole.count("pasted") == 3 * 400 and max(map(len, whole.splitlines())) <= 80


def test_in_a_terminal_csv_is_never_cut(db):
    code, output = in_terminal(["sql", DOC_SQL, "--db", str(db), "--format", "csv"])
    assert code == 0 and output.count("pasted") == 3 * 400 and not output.startswith("PAGED")


def test_tables_show_local_time_to_the_second_csv_keeps_the_instant(db):
    moment = "select timestamptz '2026-05-01 10:00:00.123456+00' as at"
    env = {**__import__("os").environ, "TZ": "IST-5:30"}
    table = subprocess.run([sys.executable, "-m", "chatlake.cli", "sql", moment, "--db", str(db)],
                           capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    assert "2026-05-01 15:30:00" in table.stdout and ".123456" not in table.stdout, table.stdout
    md = subprocess.run([sys.executable, "-m", "chatlake.cli", "sql", moment, "--db", str(db), "-f", "markdown"],
                        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    assert md.stdout.splitlines()[2] == "| 2026-05-01 15:30:00 |"
    rows = list(csv.DictReader(io.StringIO(sql(db, moment, "-f", "csv").stdout)))
    from datetime import datetime, timezone
    assert datetime.fromisoformat(rows[0]["at"]) == datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)


def test_version_short_help_and_completion():
    from importlib.metadata import version

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"chatlake {version('chatlake')}"
    short = runner.invoke(app, ["sql", "-h"])
    assert short.exit_code == 0 and "--wide" in short.stdout and "--allow-files" in short.stdout
    assert "--install-completion" in runner.invoke(app, ["-h"]).stdout


@pytest.mark.parametrize("args", [["--since", "last tuesday"], ["--kind", "emails"], ["-k", "0"]])
def test_a_bad_search_filter_is_a_usage_error(db, args):
    result = CliRunner().invoke(app, ["search", "lexer", "--text", *args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_the_suite_removes_the_warehouses_it_shares_from_the_temp_folder(tmp_path):
    inner = tmp_path / "test_inner.py"
    inner.write_text(
        "import tempfile\nfrom pathlib import Path\nimport search_support\nimport embed_support.warehouse as ew\n\n"
        "def test_build():\n"
        "    roots = [Path(tempfile.mkdtemp(prefix=f'chatlake-{n}-wh-')) for n in ('search', 'embed')]\n"
        "    for root in roots:\n"
        "        (root / 'chatlake.duckdb').write_bytes(b'')\n"
        "    search_support._built = (roots[0] / 'chatlake.duckdb', None)\n"
        "    ew._imported = roots[1] / 'chatlake.duckdb'\n"
        "    Path('roots.txt').write_text('\\n'.join(map(str, roots)))\n")
    tests_dir = Path(__file__).resolve().parent
    env = {**__import__("os").environ, "PYTHONPATH": str(tests_dir)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider", str(inner)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    roots = [Path(p) for p in (tmp_path / "roots.txt").read_text().splitlines()]
    assert len(roots) == 2 and not any(root.exists() for root in roots)


def test_the_suite_hides_supabases_deprecation_warnings_and_no_others(tmp_path):
    inner = tmp_path / "test_inner.py"
    inner.write_text(
        "import warnings\nfrom supabase import create_client\n\n"
        "def test_rest_client():\n"
        "    create_client('http://127.0.0.1:9', 'k' * 40).table('x')\n"
        "    warnings.warn('ours stays visible', DeprecationWarning)\n")
    config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-c", str(config), "--rootdir", str(tmp_path),
                          "-p", "no:cacheprovider", str(inner)], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ours stays visible" in run.stdout and "1 passed, 1 warning in" in run.stdout, run.stdout

"""A new warehouse has dbt's parse of the project made while its first lines land
(transform/dbt.py's parse_ahead, run by the build's child process), so that its first build
reads the saved parse instead of parsing the whole project again (about 2.5 s)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from chatlake.transform.dbt import dbt_work_dir, has_parse, parse_ahead
from helpers import cli_process, query


def _dbt_log(db) -> str:
    return (dbt_work_dir(db) / "logs" / "dbt.log").read_text()


def test_the_first_import_builds_from_the_parse_made_while_the_lines_landed(tree, db):
    proc = cli_process(["import", str(tree.root), "--db", str(db), "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert json.loads(out)["build_ok"]
    # two dbt invocations: the parse in the child while the extract ran, then the build
    log = _dbt_log(db)
    invocations = log.split("Running with dbt=")[1:]
    assert len(invocations) == 2, log[-3000:]
    parse, build = invocations
    assert "Starting full parse" in parse
    assert "Unable to do partial parsing" not in build and "Starting full parse" not in build
    assert query(db, "select count(*) from main.human_messages")[0][0] == len(tree.expected)


def test_parsing_ahead_neither_creates_nor_waits_for_the_warehouse(tmp_path):
    new = tmp_path / "new" / "chatlake.duckdb"
    assert parse_ahead(new)
    assert has_parse(new)
    assert not new.exists()
    # a warehouse another process is writing to (the load holds it): the parse does not open it
    held = tmp_path / "held" / "chatlake.duckdb"
    held.parent.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True);"
         " time.sleep(120)", str(held)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        assert parse_ahead(held)
        try:
            duckdb.connect(str(held)).close()
            raise AssertionError("the writer should still hold the warehouse")
        except duckdb.IOException:
            pass
    finally:
        writer.kill()
        writer.wait()
    # nothing but the saved parse is left in the target folder (the scratch folder is gone)
    assert sorted(p.name for p in dbt_work_dir(held).iterdir()) == ["logs", "target"]


def test_two_warehouses_in_one_folder_keep_their_own_parse(tree, tmp_path):
    # both in one folder, as `--example`'s warehouse is beside the real one: with one dbt folder
    # for the two, each build found the other's parse (it holds the warehouse's path) and parsed again
    from chatlake.example.transcripts import append_session_turns
    from chatlake.pipeline import import_transcripts

    first, second = tmp_path / "same" / "one.duckdb", tmp_path / "same" / "two.duckdb"
    assert import_transcripts([tree.root], first).ok and import_transcripts([tree.root], second).ok
    assert dbt_work_dir(first) != dbt_work_dir(second) and has_parse(first) and has_parse(second)
    target = next(p for p in sorted(tree.root.rglob("*.jsonl")) if not p.name.startswith("agent-"))
    append_session_turns(target, target.stem, ["grown while the other warehouse was built"])
    for db in (first, second):
        before = len(_dbt_log(db))
        assert import_transcripts([tree.root], db).built
        assert "Starting full parse" not in _dbt_log(db)[before:]
    assert query(first, "select count(*) from human_messages where content = 'grown while the other warehouse was built'") == [(1,)]

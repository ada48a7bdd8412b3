"""An append's build runs in a child process forked before the load (chatlake/build_child.py).

The `chatlake` command, started fresh, has not imported dbt: when the walk shows a grown
transcript it forks the child that imports dbt while the parent lands the lines. These tests
run the command in new processes, as a user does, and kill or interrupt it mid-way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from chatlake.pipeline import import_transcripts
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from helpers import cli_process, query, warehouse_snapshot


def _main_files(tree):
    return [p for p in tree.files if not p.name.startswith("agent-")]


def _cli(args: list[str]) -> subprocess.Popen:
    return cli_process(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def _ends(pid: int, within: float) -> bool:
    """The process is gone or a zombie (dead, not yet reaped) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_an_append_from_the_command_builds_in_a_child_and_matches_a_fresh_import(tree, db, tmp_path):
    import_transcripts([tree.root], db)
    target = _main_files(tree)[0]
    append_session_turns(target, target.stem, ["built by the child"])

    proc = _cli(["import", str(tree.root), "--db", str(db), "--json"])
    seen_children = set()
    while proc.poll() is None:
        seen_children.update(_children_of(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate()

    assert proc.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["build_scope"] == "increment" and summary["human_messages_added"] == 1
    if sys.platform.startswith("linux"):
        assert seen_children, "the build did not run in a child process"
    fresh = tmp_path / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


@pytest.mark.parametrize("kill_after", [0.6, 2.5, 4.0])
def test_sigkill_during_an_append_kills_the_child_and_the_rerun_completes(tmp_path, kill_after):
    gen = TranscriptGenerator(tmp_path / "projects", seed=31)
    tree = gen.write_tree(sessions=8, prompts=6)
    db = tmp_path / "killed.duckdb"
    import_transcripts([tree.root], db)
    for path in _main_files(tree)[:3]:
        append_session_turns(path, path.stem, [f"before the kill {path.stem[:4]}"])

    proc = _cli(["import", str(tree.root), "--db", str(db), "--quiet"])
    time.sleep(kill_after)
    children = _children_of(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for child in children:  # dies with its parent (Linux): nothing keeps building or holds the lock
        assert _ends(child, within=10), f"child {child} outlived the killed import"

    rerun = _cli(["import", str(tree.root), "--db", str(db), "--json"])
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()

    clean = tmp_path / "clean.duckdb"
    assert import_transcripts([tree.root], clean).ok
    assert warehouse_snapshot(db) == warehouse_snapshot(clean)


def test_ctrl_c_during_an_append_stops_cleanly_and_the_rerun_completes(tree, db, tmp_path):
    import_transcripts([tree.root], db)
    target = _main_files(tree)[0]
    append_session_turns(target, target.stem, ["interrupted"])

    proc = _cli(["import", str(tree.root), "--db", str(db), "--quiet"])
    time.sleep(3.0)
    # Ctrl+C in a terminal reaches the whole process group: the command and its child
    children = _children_of(proc.pid)
    for pid in [proc.pid, *children]:
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            pass
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), err.decode()  # 0: it had finished before the interrupt
    for child in children:  # the command waited for its child: nothing is left running
        assert _ends(child, within=1), f"child {child} outlived the interrupted import"

    rerun = _cli(["import", str(tree.root), "--db", str(db), "--json"])
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    fresh = tmp_path / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_child_that_died_sends_the_build_back_to_this_process(tree, db, monkeypatch):
    from chatlake.transform import child as build_child
    from chatlake.transform.dbt import build_selectors
    from chatlake.transform.child import DbtChild
    from chatlake.transform.state import agents_absent
    from chatlake.core.db import connect
    from chatlake.extract import extract

    import_transcripts([tree.root], db)
    target = _main_files(tree)[0]
    append_session_turns(target, target.stem, ["built here"])
    con = connect(db)  # land without building, as an import does before its build
    extract(con, [tree.root])
    # the increment an import would build here: a Claude Code tree has no agent CLI's models
    _, increment = build_selectors(agents_absent(con))
    con.close()
    # this test process has imported dbt already; pretend it has not, so that a child is forked
    monkeypatch.setattr(build_child, "_dbt_imported", lambda: False)
    child = DbtChild.start()
    assert child is not None
    os.kill(child.pid, signal.SIGKILL)

    result = child.build(db, selector=increment)
    child.close()

    assert result.ok and result.nodes_run > 0
    assert query(db, "select count(*) from human_messages where content = 'built here'") == [(1,)]


def test_a_second_import_in_one_python_session_builds_in_its_child(tmp_path):
    """The first import of a session has used polars (the extract); the second forks a child
    for its build. polars' thread pool does not survive a fork: the child must not need it
    (it waited forever in the load model before)."""
    script = (
        "import sys; from pathlib import Path\n"
        "from chatlake.pipeline import import_transcripts\n"
        "from chatlake.example.transcripts import TranscriptGenerator\n"
        "import polars as pl\n"
        "tmp = Path(sys.argv[1])\n"
        "first = TranscriptGenerator(tmp / 'one', seed=1).write_tree(sessions=2, prompts=2)\n"
        "second = TranscriptGenerator(tmp / 'two', seed=2).write_tree(sessions=2, prompts=2)\n"
        "pl.DataFrame({'a': list(range(100000))}).sort('a')  # polars' pool, as the extract starts it\n"
        "import_transcripts([first.root], tmp / 'a.duckdb')\n"
        "# a new warehouse, so that the build is the whole project's with its load model; dbt is\n"
        "# imported here already, so make the child think it is not\n"
        "import chatlake.transform.child as child\n"
        "child._dbt_imported = lambda: False\n"
        "summary = import_transcripts([second.root], tmp / 'b.duckdb')\n"
        "print(summary.build_ok, summary.human_messages_total)\n"
    )
    # from outside the repository, whose source folder would shadow the installed package
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    ok, total = done.stdout.split()
    assert ok == "True" and int(total) > 0

"""A build that does not finish leaves every mart as it was before it (transform/one_transaction.py).

The import runs in a new process, as a user runs it, with a user's mart that runs until it is
stopped, after the marts it reads have been built: by Ctrl+C, and by `kill -9` of its process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.pipeline import import_transcripts
from chatlake.transform.dbt import dbt_work_dir, run_dbt
from helpers import cli_process, query, warehouse_snapshot

# what dbt builds: the marts, the intermediate tables, the build state and the load model's table
_BUILT = "table_schema in ('main', 'build', 'seeds') or (table_schema = 'raw' and table_name = 'load_claude_code')"


def _built_tables(db) -> dict[str, list]:
    tables = query(db, f"select table_schema || '.' || table_name from information_schema.tables"
                       f" where table_type = 'BASE TABLE' and ({_BUILT}) order by 1")
    return {name: query(db, f"select * from {name} order by all") for (name,) in tables}


def _slow_project(tmp_path):
    """The user's own project with a mart after the others that runs until it is stopped."""
    from chatlake.transform.project import init_project

    project = tmp_path / "project"
    init_project(project)
    (project / "models" / "marts" / "slow_mart.sql").write_text(
        "with messages as (select count(*) as n from {{ ref('human_messages') }}),\n"
        "sessions as (select count(*) as n from {{ ref('sessions') }})\n"
        "select messages.n + sessions.n + (select sum(range) from range(400000000000)) as n\n"
        "from messages, sessions\n")
    return project


def _stop_during_the_slow_mart(tmp_path, db, how: int) -> subprocess.Popen:
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    start = log.stat().st_size if log.exists() else 0
    env = dict(os.environ, CHATLAKE_PROJECT_DIR=str(_slow_project(tmp_path)))
    proc = cli_process(["import", str(tmp_path / "projects"), "--db", str(db), "--quiet"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 180
    # the marts it reads are built: dbt's own per-model commits would have kept them
    while "START sql table model main.slow_mart" not in (log.read_text(errors="replace")[start:] if log.exists() else ""):
        assert proc.poll() is None, f"the import ended before the slow mart: {proc.stderr.read()}"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    if how == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.send_signal(how)
    _, proc.err = proc.communicate(timeout=30)  # Ctrl+C stops a query that would run for minutes
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a killed build child lets go of the file as it exits
        try:
            query(db, "select 1")
            break
        except Exception:
            time.sleep(0.05)
    return proc


@pytest.fixture
def grown(tmp_path, db):
    """A warehouse built from a tree, and the tree grown since: the next import has work to do."""
    tree = TranscriptGenerator(tmp_path / "projects", seed=11).write_tree(sessions=8, prompts=6)
    import_transcripts([tree.root], db)
    for path in [p for p in tree.files if not p.name.startswith("agent-")][:3]:
        append_session_turns(path, path.stem, ["a prompt the interrupted build must not show", "and one more"])
    return tree


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_a_build_stopped_in_its_last_mart_leaves_every_mart_as_before(tmp_path, db, grown, how):
    before = _built_tables(db)
    landed_before = query(db, "select count(*) from raw.lines")[0][0]

    proc = _stop_during_the_slow_mart(tmp_path, db, how)

    if how == signal.SIGINT:  # promptly, in one line, while a long query runs
        lines = [ln for ln in proc.err.splitlines() if ln.strip()]
        assert proc.returncode == 130 and len(lines) == 1 and lines[0].startswith("interrupted:"), proc.err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert query(db, "select count(*) from raw.lines")[0][0] > landed_before  # the landing stays committed
    assert _built_tables(db) == before
    assert query(db, "select count(*) from human_messages where content like '%interrupted build%'") == [(0,)]

    rerun = cli_process(["import", str(tmp_path / "projects"), "--db", str(db), "--quiet"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    fresh = tmp_path / "fresh.duckdb"
    import_transcripts([tmp_path / "projects"], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


def test_a_node_that_fails_leaves_every_mart_as_before_and_names_the_node(tmp_path, db, grown, monkeypatch):
    """A failing model: dbt would keep the nodes before it; one transaction keeps none of them."""
    before = _built_tables(db)
    # a model that fails at run time, late in the build: a view over a column that is not there
    from chatlake.transform.project import init_project

    project = tmp_path / "project"
    init_project(project)
    (project / "models" / "marts" / "broken_mart.sql").write_text(
        "select no_such_column from {{ ref('sessions') }}\n")
    monkeypatch.setenv("CHATLAKE_PROJECT_DIR", str(project))

    result = run_dbt(db, "build")

    assert not result.ok
    assert any(f.startswith("broken_mart:") for f in result.failures), result.failures
    assert not any("transaction is aborted" in f.lower() for f in result.failures), result.failures
    assert _built_tables(db) == before

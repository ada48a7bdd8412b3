"""What a neighbour (another chatlake command, a Ctrl+C, a bad --db) does to an import and the read commands.

Real processes on real warehouse files: an import holds the warehouse from its landing through
its build, a Ctrl+C during the build is one line and exit 130, errors are one line.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time

import duckdb
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.core.db import connect
from chatlake.core.errors import DatabaseLocked
from chatlake.example.transcripts import TranscriptGenerator
from chatlake.transform.dbt import dbt_work_dir
from helpers import cli_process, query, warehouse_snapshot


def _cli(args: list[str]) -> subprocess.Popen:
    return cli_process(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _holder(db, seconds: float) -> subprocess.Popen:
    """Another process holding the import's advisory lock for `seconds` (as an import would)."""
    code = ("import sys, time; from chatlake.core.db import warehouse_lock\n"
            "with warehouse_lock(sys.argv[1]):\n"
            "    print('held', flush=True); time.sleep(float(sys.argv[2]))")
    # outside the repository: from its root, `import chatlake` would find the source folder
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True,
                            cwd=tempfile.gettempdir())
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_import_lock_is_one_line_for_sql_and_import_and_wait_waits(tree, db):
    import_transcripts([tree.root], db)
    holder = _holder(db, 60)
    try:
        for args in (["sql", "select 1"], ["status"], ["import", str(tree.root), "--full-refresh", "--quiet"]):
            proc = _cli([*args, "--db", str(db)])
            _, err = proc.communicate(timeout=60)
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert proc.returncode == 1 and len(lines) == 1, (args, err)
            assert f"process {holder.pid}" in lines[0] and "--wait" in lines[0]
    finally:
        holder.kill()
        holder.wait()
    holder = _holder(db, 2)
    try:
        started = time.monotonic()
        proc = _cli(["sql", "select count(*) from human_messages", "--db", str(db), "--format", "csv", "--wait"])
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert time.monotonic() - started > 1 and out.split()[1] == str(len(tree.expected))
    finally:
        holder.kill()
        holder.wait()


def test_a_neighbour_opening_the_warehouse_mid_import_does_not_fail_it(tmp_path, db):
    tree = TranscriptGenerator(tmp_path / "projects", seed=5).write_tree(sessions=10, prompts=6)
    proc = _cli(["import", str(tree.root), "--db", str(db), "--wait", "--json"])
    refused: list[str] = []
    stop = threading.Event()

    def neighbour() -> None:
        # `chatlake sql` or `embed` over and over, each holding the file a moment when it gets in
        while not stop.is_set():
            try:
                con = connect(db, read_only=True)
            except DatabaseLocked as exc:
                refused.append(str(exc))
            except Exception:  # the file is not made yet
                pass
            else:
                time.sleep(0.3)
                con.close()
            time.sleep(0.02)

    thread = threading.Thread(target=neighbour)
    thread.start()
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0, err
    assert json.loads(out)["human_messages_total"] == len(tree.expected)
    assert any(f"process {proc.pid}" in message for message in refused), refused[:3]


def test_two_waiting_imports_both_finish_and_each_counts_its_own_messages(tmp_path, db):
    first = TranscriptGenerator(tmp_path / "a", seed=1).write_tree(sessions=5, prompts=5)
    second = TranscriptGenerator(tmp_path / "b", seed=2).write_tree(sessions=4, prompts=4)
    procs = [_cli(["import", str(t.root), "--db", str(db), "--wait", "--json"]) for t in (first, second)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err
    added = [json.loads(out)["human_messages_added"] for out, _ in results]
    assert added == [len(first.expected), len(second.expected)]
    assert query(db, "select count(*) from human_messages")[0][0] == sum(added)


def test_ctrl_c_during_the_build_is_one_line_exit_130_and_says_the_load_was_committed(tmp_path, db):
    tree = TranscriptGenerator(tmp_path / "projects", seed=7).write_tree(sessions=6, prompts=5)
    proc = _cli(["import", str(tree.root), "--db", str(db), "--quiet"])
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    deadline = time.monotonic() + 120
    while not (log.exists() and " START " in log.read_text(errors="replace")):  # dbt runs its first node
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)

    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == 130, err
    assert len(lines) == 1 and lines[0].startswith("interrupted: the load was committed"), err
    landed = query(db, "select count(*) from raw.lines")[0][0]
    assert landed > 0 and f"({landed} lines)" in lines[0]

    rerun = _cli(["import", str(tree.root), "--db", str(db), "--quiet"])
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    fresh = tmp_path / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


def test_a_db_under_a_regular_file_is_a_usage_error_in_one_line(tmp_path, tree):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    db = blocker / "chatlake.duckdb"
    runner = CliRunner()
    for args in (["import", str(tree.root)], ["sql", "select 1"], ["status"], ["search", "x", "--text"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2, (args, result.output)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "not a folder" in lines[0], (args, result.stderr)
    assert blocker.read_text() == "x"


def test_text_search_before_any_mart_is_one_line(tmp_path, tree):
    db = tmp_path / "raw-only.duckdb"
    import_transcripts([tree.root], db)
    con = duckdb.connect(str(db))  # as a first build killed before the marts were made leaves it
    con.execute("drop table main.human_messages")
    con.execute("drop table main.sessions")
    con.close()
    result = CliRunner().invoke(app, ["search", "lexer", "--text", "--db", str(db)])
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "chatlake import" in lines[0] and "Catalog" not in lines[0]


def _import_on_a_full_disk(args: list[str], limit: int) -> subprocess.CompletedProcess:
    """`chatlake import` where no file may grow past `limit` bytes: writes past it fail with
    EFBIG, as they fail with ENOSPC on a full disk (SIGXFSZ ignored, so the write returns the error)."""
    import resource

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = cli_process(["import", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       preexec_fn=full_disk)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_full_disk_at_the_land_commit_is_one_line_and_loses_nothing(tmp_path, db):
    first = TranscriptGenerator(tmp_path / "a", seed=3).write_tree(sessions=3, prompts=3)
    second = TranscriptGenerator(tmp_path / "b", seed=4).write_tree(sessions=8, prompts=6)
    assert import_transcripts([first.root], db).ok
    before = warehouse_snapshot(db)

    result = _import_on_a_full_disk([str(second.root), "--db", str(db), "--quiet"], limit=300_000)

    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr[-2000:]
    assert "landing failed (nothing from this run was committed)" in lines[0] and "File too large" in lines[0]
    assert warehouse_snapshot(db) == before
    assert import_transcripts([second.root], db).ok
    assert query(db, "select count(*) from human_messages")[0][0] == len(first.expected) + len(second.expected)


def test_a_dbt_log_that_cannot_grow_prints_no_logging_dumps(tree, db):
    assert import_transcripts([tree.root], db).ok
    # room for the warehouse to be rebuilt; the log already past it (but short of the 10 MB at
    # which dbt rotates it): every line dbt logs fails to be written
    limit = 9_500_000
    assert db.stat().st_size + 2_000_000 < limit  # the warehouse, and room to rebuild its marts
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    with open(log, "ab") as fh:
        fh.truncate(limit + 1)

    result = _import_on_a_full_disk([str(tree.root), "--db", str(db), "--quiet", "--full-refresh"], limit=limit)

    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    assert query(db, "select count(*) from human_messages")[0][0] == len(tree.expected)

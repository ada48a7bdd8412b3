"""`dbt build` on its own is a complete import, and a failing dbt test fails the import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import append_session_turns
from helpers import warehouse_snapshot


REPO_ROOT = Path(__file__).resolve().parent.parent  # the checkout: what a user cds into


def test_plain_dbt_build_from_the_project_root_imports_everything(tree, tmp_path):
    """`dbt build` in the checkout, with the profiles.yml found there, is a whole import."""
    db = tmp_path / "dbt-only" / "chatlake.duckdb"
    env = dict(os.environ, CHATLAKE_DB=str(db), CHATLAKE_ROOTS=str(tree.root))
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ERROR=0" in result.stdout

    via_cli = tmp_path / "cli.duckdb"
    import_transcripts([tree.root], via_cli)
    assert warehouse_snapshot(db) == warehouse_snapshot(via_cli)


def test_a_failing_dbt_test_fails_the_import(tree, db):
    import_transcripts([tree.root], db)
    target = next(p for p in tree.files if not p.name.startswith("agent-"))
    con = duckdb.connect(str(db))
    # A duplicate in a session the next run does not recompute breaks unique(session_id).
    con.execute("insert into main.sessions select * from main.sessions where session_id <> ? limit 1", [target.stem])
    con.close()
    append_session_turns(target, target.stem, ["one more"])

    result = CliRunner().invoke(app, ["import", str(tree.root), "--db", str(db)])

    assert result.exit_code == 1
    assert "unique_sessions_session_id" in result.stderr

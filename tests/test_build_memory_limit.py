"""chatlake's own builds cap DuckDB's memory (BENCHMARKS.md: a 1 GiB Codex tree's import peaked at
4.1 GB without it); a plain `dbt build` keeps DuckDB's default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chatlake.transform.dbt import dbt_work_dir, run_dbt

REPO_ROOT = Path(__file__).resolve().parents[1]
SHOW_CAP = ["--inline", "select current_setting('memory_limit') as cap", "--output", "json"]


def _shown_cap(log: Path) -> str:
    """The value `dbt show` wrote to its log file."""
    text = log.read_text()
    start = text.rindex('{\n  "show"')
    return json.loads(text[start:text.index("\n}", start) + 2])["show"][0]["cap"]


def test_chatlake_builds_run_duckdb_under_its_cap(tmp_path):
    db = tmp_path / "wh" / "chatlake.duckdb"
    assert run_dbt(db, command="show", extra=SHOW_CAP).ok
    assert _shown_cap(dbt_work_dir(db) / "logs" / "dbt.log") == "953.6 MiB"  # DuckDB's 1GB


def test_a_plain_dbt_run_keeps_duckdbs_default(tmp_path):
    db = tmp_path / "plain" / "chatlake.duckdb"
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "show", *SHOW_CAP, "--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=tmp_path, env=dict(os.environ, CHATLAKE_DB=str(db)), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert _shown_cap(tmp_path / "logs" / "dbt.log") != "953.6 MiB"

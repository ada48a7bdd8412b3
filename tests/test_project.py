"""A dbt project the user owns: `chatlake project init`, `$CHATLAKE_PROJECT_DIR`, and user marts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import append_session_turns
from helpers import messages, query

MY_MART = """
select session_id, count(*) as prompts
from {{ ref('human_messages') }}
group by 1
"""


@pytest.fixture
def my_project(tmp_path, monkeypatch):
    project = tmp_path / "my-chatlake"
    result = CliRunner().invoke(app, ["project", "init", str(project)])
    assert result.exit_code == 0, result.output
    assert "CHATLAKE_PROJECT_DIR" in result.output
    monkeypatch.setenv("CHATLAKE_PROJECT_DIR", str(project))
    return project


def test_a_users_own_mart_is_rebuilt_right_by_import_and_by_dbt_build(tree, db, my_project):
    (my_project / "models" / "marts" / "my_session_counts.sql").write_text(MY_MART)
    assert import_transcripts(roots=[tree.root], db=db).ok
    session = sorted(tree.sessions)[0]
    append_session_turns(next(f for f in tree.files if f.stem == session), session, ["one more", "and another"])
    second = import_transcripts(roots=[tree.root], db=db)
    assert second.ok and second.build_scope == "increment"

    def mart() -> dict:
        return dict(query(db, "select session_id, prompts from my_session_counts"))

    expected = dict(query(db, "select session_id, count(*) from human_messages group by 1"))
    assert mart() == expected  # one row per session, counting the appended prompts

    env = {**os.environ, "CHATLAKE_DB": str(db)}
    dbt = Path(sys.executable).parent / "dbt"
    run = subprocess.run([str(dbt), "build", "--exclude-resource-type", "unit_test"], cwd=my_project, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    assert mart() == expected


def test_seed_edits_in_the_users_project_reach_chatlake_import(tree, db, my_project):
    assert import_transcripts(roots=[tree.root], db=db).ok
    before = messages(db)
    victim = next(m for m in before.values() if m[2] == "prompt")[3]
    with open(my_project / "seeds" / "injected_markers.csv", "a") as seed:
        seed.write(f'"{victim[:30].replace(chr(34), "")}",prefix,a marker the user added\n')
    assert import_transcripts(roots=[tree.root], db=db, full_refresh=True).ok
    after = messages(db)
    assert len(after) < len(before)
    assert victim not in {m[3] for m in after.values()}


def test_an_upgrade_of_the_shipped_models_is_noticed(my_project, tmp_path):
    stamp = my_project / ".chatlake-project.json"
    data = json.loads(stamp.read_text())
    runner = CliRunner()
    assert runner.invoke(app, ["project", "diff"]).exit_code == 0
    data["models_fingerprint"] = "0" * 64  # as if copied from an older chatlake
    stamp.write_text(json.dumps(data))
    (my_project / "models" / "marts" / "sessions.sql").write_text("select 1 as session_id")
    diff = runner.invoke(app, ["project", "diff"])
    assert diff.exit_code == 1 and "differs: models/marts/sessions.sql" in diff.output
    from chatlake.transform.project import upgrade_notice

    assert "chatlake project diff" in upgrade_notice()
    assert runner.invoke(app, ["project", "path"]).output.strip() == str(my_project.resolve())


def test_project_init_refuses_to_overwrite_and_a_missing_project_is_one_line(my_project, monkeypatch, tmp_path):
    again = CliRunner().invoke(app, ["project", "init", str(my_project)])
    assert again.exit_code == 2 and "already holds a dbt project" in again.output
    monkeypatch.setenv("CHATLAKE_PROJECT_DIR", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(app, ["import", "--db", str(tmp_path / "x.duckdb"), str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no dbt_project.yml" in result.output and "Traceback" not in result.output


def test_the_example_gets_a_warehouse_of_its_own(_isolated_home):
    result = CliRunner().invoke(app, ["import", "--example", "--quiet"])
    assert result.exit_code == 0, result.output
    data = _isolated_home / ".local" / "share" / "chatlake"
    assert (data / "example.duckdb").is_file()
    assert not (data / "chatlake.duckdb").exists()

"""Every analysis in analyses/ compiles with dbt and runs with `chatlake sql --analysis` on the fixture warehouse."""

from __future__ import annotations

import json
from collections import Counter

import duckdb
import pytest
from typer.testing import CliRunner

from chatlake.transform.dbt import dbt_work_dir, run_dbt
from chatlake.cli import app
from chatlake.sql import analysis_sql, compile_analysis_sql, list_analyses
from chatlake.core.errors import ChatlakeError
from search_support import SHARED, warehouse

EXPECTED = {"prompts_per_day", "prompts_per_project", "busiest_hours", "longest_sessions", "top_slash_commands",
            "sessions_per_branch", "repeated_prompts"}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return warehouse(tmp_path_factory.mktemp("analyses") / "chatlake.duckdb")


def analysis(db, name: str) -> list[dict]:
    result = CliRunner().invoke(app, ["sql", "--analysis", name, "--format", "json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_promised_analyses_exist():
    assert EXPECTED <= set(list_analyses())
    listed = CliRunner().invoke(app, ["sql", "--list"]).stdout.splitlines()
    assert [line.split()[0] for line in listed] == list_analyses()


def test_the_list_says_what_each_analysis_answers_in_80_columns():
    listed = dict(line.split(None, 1) for line in CliRunner().invoke(app, ["sql", "--list"]).stdout.splitlines())
    assert listed["busiest_hours"] == "Prompts per weekday and hour (local time), busiest first."
    assert listed["top_slash_commands"] == "The most used slash commands (arguments left out)."
    assert all(len(name) + 2 + len(text) <= 80 for name, text in listed.items())


def test_dbt_compiles_each_analysis_to_what_chatlake_runs(wh):
    db, _ = wh
    result = run_dbt(db, "compile", extra=["--select", "resource_type:analysis"])
    assert result.ok, result.failures
    compiled = dbt_work_dir(db) / "target" / "compiled" / "chatlake" / "analyses"
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name in list_analyses():
            dbt_sql = (compiled / f"{name}.sql").read_text()
            ours = analysis_sql(name)
            assert con.execute(dbt_sql).fetchall() == con.execute(ours).fetchall(), name
    finally:
        con.close()


def test_every_analysis_runs_and_returns_rows(wh):
    db, _ = wh
    for name in list_analyses():
        assert analysis(db, name), name


def test_answers_match_the_tree(wh):
    db, tree = wh
    prompts = [m for m in tree.expected if m.kind == "prompt"]
    per_project = analysis(db, "prompts_per_project")
    assert sum(r["prompts"] for r in per_project) == len(prompts)
    assert sum(r["prompts"] for r in analysis(db, "prompts_per_day")) == len(prompts)
    assert sum(r["prompts"] for r in analysis(db, "busiest_hours")) == len(prompts)

    repeated = analysis(db, "repeated_prompts")
    texts_in_sessions = Counter(text for text, _ in {(m.content, m.session_id) for m in prompts})
    assert {r["content"] for r in repeated} == {t for t, n in texts_in_sessions.items() if n > 1}
    assert SHARED in {r["content"] for r in repeated}

    commands = Counter(m.content.split()[0] for m in tree.expected if m.kind == "command")
    assert {r["command"]: r["uses"] for r in analysis(db, "top_slash_commands")} == dict(commands)

    branches = analysis(db, "sessions_per_branch")
    assert sum(r["sessions"] for r in branches) == len(tree.sessions)
    longest = analysis(db, "longest_sessions")
    assert [r["minutes"] for r in longest] == sorted((r["minutes"] for r in longest), reverse=True)


def test_unknown_analysis_is_one_line(wh):
    db, _ = wh
    result = CliRunner().invoke(app, ["sql", "--analysis", "nope", "--db", str(db)])
    assert result.exit_code == 1 and "no analysis named 'nope'" in result.stderr
    assert "prompts_per_day" in result.stderr


def test_jinja_beyond_ref_is_refused():
    assert compile_analysis_sql("select * from {{ ref('sessions') }} {# note #}") == "select * from main.sessions "
    with pytest.raises(ChatlakeError):
        compile_analysis_sql("select {{ var('x') }}")

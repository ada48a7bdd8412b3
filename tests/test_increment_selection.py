"""An import whose load changed no Codex or Gemini CLI file leaves their models out of the build
(selectors.yml, transform/state.agent_models_behind), one that changed no Claude Code transcript
leaves Claude Code's intermediate models out (claude_code_models_behind), and the next import
that does change one (or follows a load whose build never ran) builds them with every load since."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from chatlake.example.agents import CodexGenerator
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.extract import extract
from chatlake.pipeline import import_transcripts
from chatlake.core.settings import project_dir
from chatlake.transform.dbt import build_selectors, dbt_work_dir, run_dbt
from helpers import query


def _started(db: Path, since: int) -> str:
    """What dbt started since byte `since` of its log."""
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    return log.read_text(errors="replace")[since:]


def _log_size(db: Path) -> int:
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    return log.stat().st_size if log.exists() else 0


def _land_without_building(db: Path, roots: list[Path]) -> None:
    """A load whose build never ran (the import was killed after its commit)."""
    con = duckdb.connect(str(db))
    try:
        extract(con, roots)
    finally:
        con.close()


def _marts(db: Path) -> dict[str, list]:
    return {m: query(db, f"select * from main.{m} order by all")
            for m in ("human_messages", "sessions")} | {
        "responses": query(db, "select response_id, source, text, input_tokens, output_tokens from main.assistant_responses order by all")}


def test_each_tools_models_run_only_when_its_files_changed(tmp_path, db):
    claude = TranscriptGenerator(tmp_path / "projects", seed=3).write_tree(sessions=3, prompts=3)
    codex = CodexGenerator(tmp_path / "codex", seed=4)
    codex.write_tree(sessions=3, prompts=2)
    roots = [claude.root, tmp_path / "codex" / "sessions"]
    assert import_transcripts(roots, db).ok
    claude_file = next(p for p in claude.files if not p.name.startswith("agent-"))
    thread = next(s for s in codex.made if s.path.exists())

    # a Claude Code append alone: the increment leaves the agent models out
    append_session_turns(claude_file, claude_file.stem, ["only claude grew"])
    since = _log_size(db)
    assert import_transcripts(roots, db).ok
    started = _started(db, since)
    assert "START sql incremental model main.human_messages" in started
    assert "int_codex_" not in started and "codex_rate_limits" not in started
    assert query(db, "select count(*) from human_messages where content = 'only claude grew'") == [(1,)]

    # a Codex line landed by a load whose build never ran, then another Claude append: the
    # agent models are behind that load, so this increment builds them
    codex.append(thread, ["codex grew while no build ran"])
    _land_without_building(db, roots)
    append_session_turns(claude_file, claude_file.stem, ["claude grew again"])
    since = _log_size(db)
    assert import_transcripts(roots, db).ok
    assert "START sql incremental model main.int_codex_threads" in _started(db, since)
    assert query(db, "select count(*) from human_messages where source = 'codex'"
                     " and content = 'codex grew while no build ran'") == [(1,)]

    # a Codex append alone: the increment leaves Claude Code's intermediate models out
    codex.append(thread, ["only codex grew"])
    since = _log_size(db)
    assert import_transcripts(roots, db).ok
    started = _started(db, since)
    assert "START sql incremental model main.int_codex_user_messages_classified" in started
    assert "int_user_records_classified" not in started and "int_assistant_records_parsed" not in started
    assert query(db, "select count(*) from human_messages where content = 'only codex grew'") == [(1,)]

    # a Claude Code line landed by a load whose build never ran, then another Codex append:
    # Claude Code's models are behind that load, so this increment builds them
    append_session_turns(claude_file, claude_file.stem, ["claude grew while no build ran"])
    _land_without_building(db, roots)
    codex.append(thread, ["codex grew again"])
    since = _log_size(db)
    assert import_transcripts(roots, db).ok
    assert "START sql incremental model main.int_user_records_classified" in _started(db, since)
    assert query(db, "select count(*) from human_messages where content = 'claude grew while no build ran'") == [(1,)]

    # and the increments came to what a whole build of the same lines makes
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(db, fresh)
    assert run_dbt(fresh, "build", full_refresh=True).ok
    assert _marts(db) == _marts(fresh)


def _built_models(db: Path) -> set[str]:
    return {name for (name,) in query(db, "select table_name from duckdb_tables() where schema_name = 'main'"
                                          " union all select view_name from duckdb_views() where schema_name = 'main'")}


def _all_marts(db: Path) -> dict[str, list]:
    return {m: query(db, f"select * exclude (cost_usd) from main.{m} order by all" if m == "usage_daily"
                     else f"select * from main.{m} order by all")
            for m in ("human_messages", "sessions", "assistant_responses", "tool_calls", "usage_daily",
                      "codex_rate_limits", "message_terms")}


def test_an_agent_cli_without_lines_has_no_models_until_its_first_lines_land(tmp_path, db):
    claude = TranscriptGenerator(tmp_path / "projects", seed=8).write_tree(sessions=3, prompts=3)
    first = import_transcripts([claude.root], db)
    assert first.ok and first.build_scope == "project"
    models = _built_models(db)
    # a Claude Code warehouse: no Codex or Gemini CLI model, and the Codex mart is there, empty
    assert not {m for m in models if "codex" in m or "gemini" in m} - {"codex_rate_limits"}
    assert query(db, "select count(*) from main.codex_rate_limits") == [(0,)]
    assert query(db, "select distinct source from main.sessions") == [("claude_code",)]

    # Codex CLI's first lines: the whole project is built again, with Codex's models and not Gemini's
    codex = CodexGenerator(tmp_path / "codex", seed=9)
    codex.write_tree(sessions=3, prompts=2)
    roots = [claude.root, tmp_path / "codex" / "sessions"]
    second = import_transcripts(roots, db)
    assert second.ok and second.build_scope == "project"
    models = _built_models(db)
    assert "int_codex_threads" in models and not {m for m in models if "gemini" in m}
    assert {s for (s,) in query(db, "select distinct source from main.sessions")} == {"claude_code", "codex"}
    # then Codex appends are increments, which leave Gemini CLI out
    thread = next(s for s in codex.made if s.path.exists())
    codex.append(thread, ["codex again"])
    third = import_transcripts(roots, db)
    assert third.ok and third.build_scope == "increment"
    assert query(db, "select count(*) from human_messages where content = 'codex again'") == [(1,)]

    # the marts equal a warehouse built whole, every agent CLI's models included
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(db, fresh)
    assert run_dbt(fresh, "build", full_refresh=True).ok
    assert {m for m in _built_models(fresh) if "gemini" in m}
    assert _all_marts(db) == _all_marts(fresh)


def test_every_selection_an_import_can_make_is_in_selectors_yml():
    import itertools

    import yaml

    names = {s["name"] for s in yaml.safe_load((project_dir() / "selectors.yml").read_text())["selectors"]}
    agents = ("codex", "gemini_cli")
    picked = set()
    for absent_n in range(3):
        for absent in itertools.combinations(agents, absent_n):
            for left in itertools.chain.from_iterable(
                    itertools.combinations(("claude_code", *agents), n) for n in range(4)):
                whole, increment = build_selectors(frozenset(absent), frozenset(left))
                picked |= {whole, increment} - {None}
    assert picked - names == set()
    # leaving out a tool's models names the tool; leaving out none is the plain increment
    assert build_selectors(frozenset(), frozenset()) == (None, "import_increment")
    assert build_selectors(frozenset({"gemini_cli"}), frozenset({"claude_code", "codex"})) == (
        "project_without_gemini_cli", "import_increment_without_claude_code_and_agents")

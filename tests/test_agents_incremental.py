"""Codex CLI and Gemini CLI intermediate models are incremental: an import recomputes only the
sessions it touched, and the marts come out as a whole build of the same raw data makes them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.example.agents import CodexGenerator, GeminiGenerator
from chatlake.pipeline import import_transcripts
from chatlake.transform.dbt import run_dbt
from helpers import query

AGENT_MARTS = ("sessions", "human_messages", "assistant_responses", "tool_calls", "usage_daily")
INCREMENTAL = ("int_codex_threads", "int_codex_token_counts_parsed", "int_codex_tool_calls_parsed",
               "int_codex_user_messages_classified", "int_codex_rate_limits", "int_gemini_cli_messages_replayed",
               "int_gemini_cli_sessions", "int_gemini_cli_token_usage", "int_gemini_cli_tool_calls",
               "int_gemini_cli_user_messages_classified")


def _agent_rows(db: Path, mart: str, leave_out: tuple[str, ...] = ()) -> list[tuple]:
    columns = [(c, t) for c, t in query(db, "select column_name, data_type from information_schema.columns"
                                            " where table_schema = 'main' and table_name = ? order by ordinal_position",
                                        [mart]) if c not in leave_out]
    # a sum of costs in another order differs in its last bits
    listed = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in columns)
    return query(db, f"select {listed} from main.{mart} where source in ('codex', 'gemini_cli') order by all")


def _snapshot(db: Path, leave_out: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    found = {mart: _agent_rows(db, mart, leave_out) for mart in AGENT_MARTS}
    found["codex_rate_limits"] = query(db, "select * from codex_rate_limits order by all")
    return found


def test_an_append_and_a_rewrite_build_what_a_full_refresh_builds(tmp_path, db):
    codex = CodexGenerator(tmp_path / "codex", seed=11)
    codex.write_tree(sessions=6, prompts=3)
    gemini = GeminiGenerator(tmp_path / "gemini" / "tmp", seed=12)
    gemini.write_tree(sessions=6, prompts=3)
    roots = [tmp_path / "codex" / "sessions", tmp_path / "gemini" / "tmp"]
    first = import_transcripts(roots, db)
    assert first.ok, first.failures + first.test_failures

    # a resumed Codex thread, a new fork of it, a grown Gemini log and a rewritten Gemini document
    resumed = next(s for s in codex.made if s.generation == "g3" and s.path.exists())
    codex.append(resumed, ["and now the retry logic", "one more edge case"])
    codex.session("g3", prompts=1, fork_of=resumed)
    log = next(s for s in gemini.made if s.generation == "jsonl")
    document = next(s for s in gemini.made if s.generation == "json")
    gemini.append(log, ["the jsonl follow-up"])
    gemini.append(document, ["the document follow-up"])
    grown = import_transcripts(roots, db)
    assert grown.ok, grown.failures + grown.test_failures
    assert (grown.files_new, grown.files_appended, grown.files_rewritten) == (1, 2, 1)

    kinds = dict(query(db, "select table_name, table_type from information_schema.tables where table_schema = 'main'"))
    assert {name: kinds.get(name) for name in INCREMENTAL} == dict.fromkeys(INCREMENTAL, "BASE TABLE")
    incremental = _snapshot(db)
    follow_ups = [c for (c,) in query(db, "select content from human_messages where content like '%follow-up'"
                                          " or content in ('and now the retry logic', 'one more edge case')")]
    assert sorted(follow_ups) == ["and now the retry logic", "one more edge case", "the document follow-up",
                                  "the jsonl follow-up"]
    assert query(db, "select count(*) from sessions where source = 'codex' and session_id = ?",
                 [codex.made[-1].session_id]) == [(1,)]

    # the same raw data, every model built again from nothing
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(db, fresh)
    rebuilt = run_dbt(fresh, "build", full_refresh=True)
    assert rebuilt.ok, rebuilt
    assert _snapshot(fresh) == incremental

    # and `chatlake import --full-refresh` reads every file again into the same marts
    result = CliRunner().invoke(app, ["import", *map(str, roots), "--db", str(db), "--full-refresh", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"]
    assert _snapshot(db, leave_out=("load_id",)) == _snapshot(fresh, leave_out=("load_id",))

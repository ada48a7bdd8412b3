"""Codex CLI and Gemini CLI sessions land beside Claude Code's, with the same guarantees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import TranscriptGenerator
from chatlake.example.agents import CodexGenerator, GeminiGenerator
from helpers import query


def _trees(tmp_path: Path, sessions: int = 6):
    codex = CodexGenerator(tmp_path / "codex", seed=3)
    codex_tree = codex.write_tree(sessions=sessions, prompts=3)
    gemini = GeminiGenerator(tmp_path / "gemini" / "tmp", seed=4)
    gemini_tree = gemini.write_tree(sessions=sessions, prompts=3)
    return codex, codex_tree, gemini, gemini_tree


def _roots(tmp_path: Path) -> list[Path]:
    (tmp_path / "codex" / "archived_sessions").mkdir(parents=True, exist_ok=True)  # Codex makes it on the first archive
    return [tmp_path / "codex" / "sessions", tmp_path / "codex" / "archived_sessions", tmp_path / "gemini" / "tmp"]


def _typed(db: Path, source: str) -> dict[str, list[str]]:
    """Each session's human messages in message_index order."""
    rows = query(db, "select session_id, content from human_messages where source = ? order by session_id, message_index",
                 [source])
    found: dict[str, list[str]] = {}
    for session_id, content in rows:
        found.setdefault(session_id, []).append(content)
    return found


def _expected(tree, source: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in tree.expected:
        if m.source == source:
            found.setdefault(m.session_id, []).append(m.content)
    return found


def _indexes(db: Path, source: str) -> dict[str, tuple]:
    rows = query(db, "select message_uuid, session_id, message_index, content from human_messages where source = ?",
                 [source])
    return {r[0]: r[1:] for r in rows}


def test_every_generation_lands_and_changes_are_followed(tmp_path, db):
    codex, codex_tree, gemini, gemini_tree = _trees(tmp_path)
    claude = TranscriptGenerator(tmp_path / "projects", seed=5).write_tree(sessions=2, prompts=2)

    first = import_transcripts([tmp_path / "projects", *_roots(tmp_path)], db)

    assert first.ok, first.failures + first.test_failures
    assert first.files_new == len(codex_tree.files) + len(gemini_tree.files) + len(claude.files)
    assert first.lines_rejected == 0
    assert _typed(db, "codex") == _expected(codex_tree, "codex")
    assert _typed(db, "gemini_cli") == _expected(gemini_tree, "gemini_cli")
    sessions = dict(query(db, "select session_id, source from sessions"))
    assert {s for s, source in sessions.items() if source == "codex"} == codex_tree.sessions
    assert {s for s, source in sessions.items() if source == "gemini_cli"} == gemini_tree.sessions
    assert len([s for s in sessions.values() if s == "claude_code"]) == len(claude.sessions)
    assert query(db, "select count(distinct content_hash) > 0 from human_messages where source = 'codex'") == [(True,)]

    # resumed sessions append: only the new lines land, earlier messages keep their index
    before_codex, before_gemini = _indexes(db, "codex"), _indexes(db, "gemini_cli")
    resumed = next(s for s in _sessions(codex) if s.generation == "g3" and s.path.exists())
    codex.append(resumed, ["continue with the lock handling"])
    log = next(s for s in gemini_sessions(gemini) if s.generation == "jsonl")
    document = next(s for s in gemini_sessions(gemini) if s.generation == "json")
    gemini.append(log, ["now the jsonl follow-up"])
    gemini.append(document, ["now the document follow-up"])

    grown = import_transcripts(_roots(tmp_path), db)

    assert grown.ok, grown.failures + grown.test_failures
    assert grown.files_appended == 2 and grown.files_rewritten == 1  # a .json document is read again whole
    after_codex, after_gemini = _indexes(db, "codex"), _indexes(db, "gemini_cli")
    assert all(after_codex[k] == v for k, v in before_codex.items())
    assert all(after_gemini[k] == v for k, v in before_gemini.items())
    for session_id, text in ((resumed.session_id, "continue with the lock handling"),
                             (log.session_id, "now the jsonl follow-up"), (document.session_id, "now the document follow-up")):
        indexes = sorted(i for s, i, _ in {**after_codex, **after_gemini}.values() if s == session_id)
        assert indexes == list(range(len(indexes)))
        last = query(db, "select content from human_messages where session_id = ? order by message_index desc limit 1",
                     [session_id])
        assert last == [(text,)]

    # archiving moves the rollout: the same session, not a new one
    archived = tmp_path / "codex" / "archived_sessions" / resumed.path.name
    archived.parent.mkdir(parents=True, exist_ok=True)
    os.rename(resumed.path, archived)
    moved = import_transcripts(_roots(tmp_path), db)

    assert moved.ok and moved.lines_landed == 0
    assert _indexes(db, "codex") == after_codex
    assert query(db, "select distinct source_file from human_messages where session_id = ?", [resumed.session_id]) == [
        (str(archived),)]
    # restored while the archived copy stays: the active one is read, nothing counts twice
    shutil.copy2(archived, resumed.path)
    restored = import_transcripts(_roots(tmp_path), db)
    assert restored.ok and restored.lines_landed == 0
    assert _indexes(db, "codex") == after_codex
    assert query(db, "select count(*) from raw.codex_lines where session_id = ?", [resumed.session_id]) == [
        (len(resumed.path.read_bytes().splitlines()),)]

    # a bad line is rejected with its reason and counted; a file that shrank is read again
    with open(resumed.path, "ab") as fh:
        fh.write(b"{not json\n")
    bad = import_transcripts(_roots(tmp_path), db)
    assert bad.lines_rejected == 1 and bad.ok
    assert query(db, "select reason from raw.rejected_lines where source_file = ?", [str(resumed.path)]) == [
        ("invalid JSON: Expecting property name enclosed in double quotes at column 2",)]
    kept = resumed.path.read_bytes().splitlines(keepends=True)[:12]
    resumed.path.write_bytes(b"".join(kept))
    shrunk = import_transcripts(_roots(tmp_path), db)
    assert shrunk.ok and shrunk.files_rewritten == 1
    assert query(db, "select count(*) from raw.codex_lines where session_id = ?", [resumed.session_id]) == [(12,)]
    assert query(db, "select count(*) from raw.rejected_lines where source_file = ?", [str(resumed.path)]) == [(0,)]
    assert _typed(db, "codex")[resumed.session_id] == _expected(codex_tree, "codex")[resumed.session_id][:1]


def _sessions(codex: CodexGenerator):
    return codex.made


def gemini_sessions(gemini: GeminiGenerator):
    return gemini.made


def test_a_load_killed_midway_leaves_nothing_and_the_rerun_lands_each_line_once(tmp_path):
    _trees(tmp_path, sessions=9)
    killed, clean = tmp_path / "killed.duckdb", tmp_path / "clean.duckdb"
    roots = [str(r) for r in _roots(tmp_path)]
    # SIGKILL from inside the load, once a third of the files are read: no handler can run
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from chatlake.core.db import connect\n"
        "from chatlake.extract import extract\n"
        "con = connect(Path(sys.argv[1]))\n"
        "def progress(done, total, read, path):\n"
        "    if path and done >= total // 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "extract(con, [Path(p) for p in sys.argv[2:]], on_progress=progress)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(killed), *roots], cwd=tempfile.gettempdir())
    assert proc.returncode == -9

    rerun = import_transcripts([Path(r) for r in roots], killed)
    reference = import_transcripts([Path(r) for r in roots], clean)

    assert rerun.ok and reference.ok
    assert rerun.lines_landed == reference.lines_landed
    for table, key in (("raw.codex_lines", "source_file, byte_offset"),
                       ("raw.gemini_records", "source_file, byte_offset, item_index")):
        assert query(killed, f"select count(*) - count(distinct ({key})) from {table}") == [(0,)]
    snapshot = "select message_uuid, session_id, message_index, content from human_messages order by all"
    assert query(killed, snapshot) == query(clean, snapshot)


def test_import_reads_each_tools_default_folders_and_a_tool_can_be_left_out(tmp_path, monkeypatch):
    home = Path(os.environ["HOME"])
    CodexGenerator(home / ".codex", seed=8).session("g2", prompts=2)
    gemini_home = tmp_path / "gemini-home"
    monkeypatch.setenv("GEMINI_CLI_HOME", str(gemini_home))
    GeminiGenerator(gemini_home / ".gemini" / "tmp", seed=9).session("jsonl", prompts=2)
    db = tmp_path / "default.duckdb"
    runner = CliRunner()

    without = runner.invoke(app, ["import", "--db", str(db), "--no-codex", "--json"])
    assert without.exit_code == 0, without.output
    summary = json.loads(without.stdout)
    assert str(gemini_home / ".gemini" / "tmp") in summary["roots"]
    assert not any(".codex" in r for r in summary["roots"])
    assert query(db, "select distinct source from human_messages") == [("gemini_cli",)]

    both = runner.invoke(app, ["import", "--db", str(db), "--json"])
    assert both.exit_code == 0, both.output
    assert query(db, "select source, count(*) from human_messages group by 1 order by 1") == [
        ("codex", 2), ("gemini_cli", 2)]
    # no Claude Code folder at all is no error when another tool has one
    assert not (home / ".claude").exists()

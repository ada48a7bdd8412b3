"""End to end: generated transcripts -> extractor -> real dbt build -> marts a user queries."""

from __future__ import annotations

import hashlib
import io
import json
import time

from rich.console import Console
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.cli.import_ import _ProgressBar
from chatlake.example.transcripts import TranscriptGenerator
from helpers import messages, query


def test_marts_hold_exactly_what_the_human_typed(tree, db):
    summary = import_transcripts([tree.root], db)

    assert summary.ok and summary.built, summary
    assert summary.files_new == len(tree.files)
    got = messages(db)
    expected = {m.uuid: m for m in tree.expected}
    assert set(got) == set(expected)
    for uid, m in expected.items():
        session_id, _, kind, content, images = got[uid]
        assert (session_id, kind, content, images) == (m.session_id, m.kind, m.content, m.image_count)
    assert summary.human_messages_added == summary.human_messages_total == len(expected)


def test_indexes_are_contiguous_and_ordered_by_time(tree, db):
    import_transcripts([tree.root], db)
    rows = query(db, "select session_id, list(message_index order by created_at, message_index) from human_messages group by 1")
    for _, indexes in rows:
        assert indexes == list(range(len(indexes)))


def test_content_hash_is_sha256_of_content(tree, db):
    import_transcripts([tree.root], db)
    for content, digest in query(db, "select content, content_hash from human_messages"):
        assert digest == hashlib.sha256(content.encode("utf-8")).hexdigest()


def test_sessions_have_counts_titles_and_times(tree, db):
    import_transcripts([tree.root], db)
    per_session = {}
    for m in tree.expected:
        per_session[m.session_id] = per_session.get(m.session_id, 0) + 1
    rows = query(db, "select session_id, human_message_count, title, first_at <= last_at, project_path from sessions")
    assert {r[0] for r in rows} == tree.sessions
    for session_id, count, title, ordered, project in rows:
        assert count == per_session.get(session_id, 0)
        assert title and len(title) <= 80
        assert ordered and project.startswith("/home/dev/work/")


def test_noop_rerun_does_not_start_dbt(tree, db):
    import_transcripts([tree.root], db)
    again = import_transcripts([tree.root], db)
    assert not again.built
    assert again.files_unchanged == len(tree.files)
    assert again.lines_landed == 0 and again.human_messages_added == 0


def test_cli_json_summary_and_exit_codes(tree, db):
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(tree.root), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["files_new"] == len(tree.files) and data["human_messages_total"] == len(tree.expected)

    missing = runner.invoke(app, ["import", str(tree.root / "nope"), "--db", str(db)])
    assert missing.exit_code == 2
    assert "no such file or directory" in missing.output


def test_summary_names_its_roots_and_the_sessions_the_marts_leave_out(tmp_path, db):
    gen = TranscriptGenerator(tmp_path / "projects", seed=12)
    tree = gen.write_tree(sessions=2, prompts=2)
    gen.session(prompts=0, subagents=0)  # a session where nothing was typed

    result = CliRunner().invoke(app, ["import", str(tree.root), "--db", str(db)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"roots: {tree.root}"
    in_marts = query(db, "select count(*) from sessions")[0][0]
    touched = query(db, "select count(distinct session_id) from raw.touched_sessions")[0][0]
    assert touched > in_marts
    assert (f"sessions: {touched} touched, {touched - in_marts} of them without a human message"
            " (not in `sessions`)") in lines


def test_a_missing_default_root_is_one_line_with_a_hint(db):
    result = CliRunner().invoke(app, ["import", "--db", str(db)])

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert ".claude/projects does not exist" in line and "chatlake import --example" in line
    assert not db.exists()


def test_each_phase_shows_with_a_running_clock_within_80_columns(tree, db):
    console = Console(width=80, force_terminal=True, file=io.StringIO())
    seen = []
    with _ProgressBar(True, console=console) as bar:
        def snapshot() -> None:
            shown = Console(record=True, width=80, file=io.StringIO())
            shown.print(bar.progress.get_renderable())
            seen.append(shown.export_text())

        def on_phase(name: str) -> None:
            snapshot()  # how the phase before it ended
            bar.phase(name)
            time.sleep(1.1)  # long enough for the phase's clock to move
            snapshot()

        bar(0, len(tree.files), 0, f"/x/{'0b5f3c1e-7d2a-4b8e-9c6f-1a2b3c4d5e6f' * 2}.jsonl")
        summary = import_transcripts([tree.root], db, on_progress=bar, on_phase=on_phase)

    assert summary.built
    long_name, landing, landed, building = seen
    assert long_name.startswith("landing ") and long_name.rstrip().endswith("…")
    assert landing.startswith("landing ") and "0:00:01" in landing
    assert f"{len(tree.files)}/{len(tree.files)} files" in landed
    assert building.startswith("building the marts ") and "0:00:01" in building and "files" not in building
    assert all(len(line) <= 80 for text in seen for line in text.splitlines())


def test_an_import_writes_nothing_to_a_stderr_that_is_no_terminal(tree, db):
    result = CliRunner().invoke(app, ["import", str(tree.root), "--db", str(db)])

    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_build_says_when_it_tests_in_this_process_and_in_the_forked_child(tree, db):
    """A first import builds here; an append builds in the child forked before the load."""
    from chatlake.example.transcripts import append_session_turns

    steps: list[str] = []
    first = import_transcripts([tree.root], db, on_step=steps.append)
    assert first.built and "testing the marts" in steps
    target = sorted(tree.root.rglob("*.jsonl"))[0]
    append_session_turns(target, target.stem, ["one more question"])
    steps.clear()
    second = import_transcripts([tree.root], db, on_step=steps.append)
    assert second.built and second.human_messages_added == 1
    assert "testing the marts" in steps

"""Re-runs touch only what is new, and every path through a change ends in the same warehouse."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatlake.pipeline import import_transcripts
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from helpers import cli_process, messages, query, warehouse_snapshot


def _main_files(tree):
    return [p for p in tree.files if not p.name.startswith("agent-")]


def test_append_lands_only_new_lines_and_keeps_indexes(tree, db):
    import_transcripts([tree.root], db)
    before = messages(db)
    target = _main_files(tree)[0]
    session_id = target.stem
    added = append_session_turns(target, session_id, ["first follow-up", "second follow-up"])

    summary = import_transcripts([tree.root], db)

    assert summary.files_appended == 1 and summary.files_unchanged == len(tree.files) - 1
    assert summary.lines_landed == 2 and summary.sessions_touched == 1
    assert summary.human_messages_added == 2
    after = messages(db)
    for uid, row in before.items():
        assert after[uid] == row  # existing rows keep their index
    old_max = max(r[1] for r in before.values() if r[0] == session_id)
    assert [after[m.uuid][1] for m in added] == [old_max + 1, old_max + 2]
    assert query(db, "select count(*) from raw.lines where source_file = ?", [str(target)])[0][0] == \
        sum(1 for line in target.read_bytes().splitlines() if line.strip())


def test_incomplete_last_line_waits_for_its_newline(tree, db):
    import_transcripts([tree.root], db)
    target = _main_files(tree)[1]
    record = {"type": "user", "uuid": "partial-0001", "sessionId": target.stem, "timestamp": "2026-10-01T10:00:00.000Z",
              "cwd": "/home/dev/work/api", "isSidechain": False, "message": {"role": "user", "content": "half typed"}}
    text = json.dumps(record).encode()
    with open(target, "ab") as fh:
        fh.write(text[:25])
    first = import_transcripts([tree.root], db)
    assert first.lines_landed == 0 and first.lines_rejected == 0
    assert "partial-0001" not in messages(db)

    with open(target, "ab") as fh:
        fh.write(text[25:] + b"\n")
    second = import_transcripts([tree.root], db)
    assert second.lines_landed == 1 and second.lines_rejected == 0
    assert messages(db)["partial-0001"][3] == "half typed"


def test_rewritten_file_replaces_its_rows(tree, db):
    import_transcripts([tree.root], db)
    target = _main_files(tree)[2]
    session_id = target.stem
    old_uuids = {m.uuid for m in tree.expected if m.session_id == session_id}
    assert old_uuids
    # Replace the file with a shorter, different transcript of the same session.
    target.write_bytes(b"")
    new = append_session_turns(target, session_id, ["only prompt after rewrite"])

    summary = import_transcripts([tree.root], db)

    assert summary.files_rewritten == 1
    got = messages(db)
    assert not (old_uuids & set(got))
    assert got[new[0].uuid][1:3] == (0, "prompt")
    lines = query(db, "select count(*) from raw.lines where source_file = ?", [str(target)])[0][0]
    assert lines == 1


def test_same_size_rewrite_with_new_head_is_detected(tree, db):
    import_transcripts([tree.root], db)
    target = _main_files(tree)[0]
    data = bytearray(target.read_bytes())
    # Same length, different first record uuid: a replaced file, not an append.
    idx = data.index(b'"uuid": "') + len(b'"uuid": "')
    data[idx] = ord("0") if data[idx] != ord("0") else ord("1")
    time.sleep(0.01)
    target.write_bytes(bytes(data))
    summary = import_transcripts([tree.root], db)
    assert summary.files_rewritten == 1
    assert query(db, "select count(*) from raw.lines where source_file = ?", [str(target)])[0][0] == \
        sum(1 for line in data.splitlines() if line.strip())


def test_complete_last_line_without_newline_is_landed_once(tree, db):
    """Some files end without a final newline; their last record still counts, exactly once."""
    import_transcripts([tree.root], db)
    target = _main_files(tree)[2]
    record = {"type": "user", "uuid": "tail-0001", "sessionId": target.stem, "timestamp": "2026-10-01T10:00:00.000Z",
              "cwd": "/home/dev/work/api", "isSidechain": False, "message": {"role": "user", "content": "no newline"}}
    with open(target, "ab") as fh:
        fh.write(json.dumps(record).encode())
    first = import_transcripts([tree.root], db)
    assert first.lines_landed == 1 and first.lines_rejected == 0
    assert messages(db)["tail-0001"][3] == "no newline"

    # Claude Code resumes the file: the missing newline arrives, then another record.
    follow = dict(record, uuid="tail-0002", timestamp="2026-10-01T10:05:00.000Z",
                  message={"role": "user", "content": "after the tail"})
    with open(target, "ab") as fh:
        fh.write(b"\n" + json.dumps(follow).encode() + b"\n")
    second = import_transcripts([tree.root], db)
    assert second.lines_landed == 1 and second.lines_rejected == 0
    got = messages(db)
    assert got["tail-0002"][1] == got["tail-0001"][1] + 1
    rows = query(db, "select line_no from raw.lines where source_file = ? order by byte_offset", [str(target)])
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # no phantom blank line

    fresh = tree.root.parent / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


def test_deleted_file_keeps_its_rows(tree, db):
    import_transcripts([tree.root], db)
    before = messages(db)
    target = _main_files(tree)[3]
    target.unlink()
    summary = import_transcripts([tree.root], db)
    assert summary.files_seen == len(tree.files) - 1
    assert messages(db) == before


def test_rewrite_append_and_delete_converge_to_a_fresh_import(tmp_path):
    """The warehouse after a series of incremental runs equals one built from scratch."""
    gen = TranscriptGenerator(tmp_path / "projects", seed=5)
    tree = gen.write_tree(sessions=4, prompts=5)
    inc = tmp_path / "inc.duckdb"
    import_transcripts([tree.root], inc)
    mains = _main_files(tree)
    append_session_turns(mains[0], mains[0].stem, ["more", "and more"])
    import_transcripts([tree.root], inc)
    gen.session(prompts=3)
    append_session_turns(mains[1], mains[1].stem, ["late"])
    import_transcripts([tree.root], inc)

    fresh = tmp_path / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(inc) == warehouse_snapshot(fresh)


def test_resumed_session_replay_counts_once_in_the_original_session(tmp_path, db):
    gen = TranscriptGenerator(tmp_path / "projects", seed=3)
    original = gen.session(prompts=4, subagents=0)
    resumed_id = "99999999-9999-4999-8999-999999999999"
    replay = [dict(r, sessionId=resumed_id) for r in original.records if r.get("uuid")]
    resumed_path = original.path.parent / f"{resumed_id}.jsonl"
    resumed_path.write_text("".join(json.dumps(r) + "\n" for r in replay))
    new = append_session_turns(resumed_path, resumed_id, ["continue where we left off"])

    import_transcripts([tmp_path / "projects"], db)

    got = messages(db)
    for m in gen.tree.expected:
        assert got[m.uuid][0] == original.session_id
    assert got[new[0].uuid][:2] == (resumed_id, 0)


def _run_cli(args: list[str], env: dict) -> subprocess.Popen:
    return cli_process(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("kill_after", [0.8, 2.5])
def test_sigkill_at_any_point_then_rerun_matches_uninterrupted(tmp_path, kill_after):
    gen = TranscriptGenerator(tmp_path / "projects", seed=21, tool_result_bytes=20000)
    tree = gen.write_tree(sessions=20, prompts=6)
    env = dict(os.environ)
    killed = tmp_path / "killed.duckdb"
    proc = _run_cli(["import", str(tree.root), "--db", str(killed), "--quiet"], env)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Grow the tree between the kill and the re-run, as real use would.
    append_session_turns(_main_files(tree)[0], _main_files(tree)[0].stem, ["after the crash"])
    rerun = _run_cli(["import", str(tree.root), "--db", str(killed), "--quiet"], env)
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read().decode()

    clean = tmp_path / "clean.duckdb"
    summary = import_transcripts([tree.root], clean)
    assert summary.ok
    assert warehouse_snapshot(killed) == warehouse_snapshot(clean)


def test_an_unchanged_project_rebuilds_only_the_incremental_models(tree, db):
    first = import_transcripts([tree.root], db)
    assert first.build_scope == "project" and first.ok
    target = _main_files(tree)[0]
    append_session_turns(target, target.stem, ["one more thing"])

    second = import_transcripts([tree.root], db)

    assert second.build_scope == "increment" and second.ok
    assert second.human_messages_added == 1
    fresh = db.parent / "fresh.duckdb"
    import_transcripts([tree.root], fresh)
    assert warehouse_snapshot(db) == warehouse_snapshot(fresh)


def test_a_changed_project_or_a_missing_view_gets_a_whole_build(tree, db):
    import duckdb

    import_transcripts([tree.root], db)
    target = _main_files(tree)[0]
    # the warehouse was last built by another version of the project
    with duckdb.connect(str(db)) as con:
        con.execute("update build.project_builds set fingerprint = 'another version'")
    append_session_turns(target, target.stem, ["after an upgrade"])
    upgraded = import_transcripts([tree.root], db)
    assert upgraded.build_scope == "project" and upgraded.ok and upgraded.human_messages_added == 1

    # a view dropped by hand: the partial build fails on it, and the whole build puts it back
    with duckdb.connect(str(db)) as con:
        con.execute("drop view main.int_human_messages_unioned")
    append_session_turns(target, target.stem, ["after a drop"])
    repaired = import_transcripts([tree.root], db)
    assert repaired.build_scope == "project" and repaired.ok and repaired.human_messages_added == 1
    assert query(db, "select count(*) from duckdb_views() where view_name = 'int_human_messages_unioned'")[0][0] == 1


def test_a_summary_record_titles_the_session_it_points_at(tmp_path, db):
    gen = TranscriptGenerator(tmp_path / "projects", seed=4)
    session = gen.session(prompts=3, subagents=0, version="2.0.55")
    import_transcripts([gen.root], db)
    leaf = [r["uuid"] for r in session.records if r.get("type") == "assistant"][-1]
    with open(session.path, "a") as fh:
        fh.write(json.dumps({"type": "summary", "summary": "Fix the lock timeout", "leafUuid": leaf}) + "\n")

    summary = import_transcripts([gen.root], db)

    assert summary.build_scope == "increment"
    assert query(db, "select title from sessions where session_id = ?", [session.session_id]) == \
        [("Fix the lock timeout",)]


def test_a_rerun_with_nothing_new_answers_from_a_walk_without_opening_the_warehouse(tree, db):
    from chatlake.core.errors import DatabaseLocked

    first = import_transcripts([tree.root], db)
    # another process holds the warehouse's write lock
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]);"
                               " print('ready', flush=True); time.sleep(120)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        again = import_transcripts([tree.root], db)
        assert again.ok and not again.built and again.lines_landed == 0
        assert again.files_seen == again.files_unchanged == len(tree.files)
        assert again.human_messages_total == first.human_messages_total
        target = _main_files(tree)[0]
        append_session_turns(target, target.stem, ["now there is something"])
        with pytest.raises(DatabaseLocked):  # with a line to land, it has to open the warehouse
            import_transcripts([tree.root], db)
    finally:
        holder.kill()
        holder.wait()
    assert import_transcripts([tree.root], db).human_messages_added == 1


def test_a_warehouse_changed_by_something_else_is_read_again(tree, db):
    import duckdb

    first = import_transcripts([tree.root], db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from human_messages where message_uuid = (select min(message_uuid) from human_messages)")
    again = import_transcripts([tree.root], db)
    assert not again.built and again.human_messages_total == first.human_messages_total - 1


def test_the_walk_tells_a_grown_transcript_from_a_touched_one(tree, db):
    """What the import decides before opening the warehouse: nothing to do, a file only touched
    (checked, probably nothing lands), or a file that grew (a load and a build are coming, so
    dbt's import starts at once)."""
    from chatlake.extract import unchanged

    import_transcripts([tree.root], db)
    assert unchanged.check(db, [tree.root], None).same is not None

    target = _main_files(tree)[0]
    os.utime(target, ns=(time.time_ns(), time.time_ns()))
    touched = unchanged.check(db, [tree.root], None)
    assert touched.same is None and not touched.grown and touched.walk is not None

    append_session_turns(target, target.stem, ["grown"])
    grown = unchanged.check(db, [tree.root], None)
    assert grown.same is None and grown.grown
    summary = import_transcripts([tree.root], db)
    assert summary.files_appended == 1 and summary.human_messages_added == 1
    assert unchanged.check(db, [tree.root], None).same is not None

"""Inputs that once left a warehouse stuck for good: every later import failed the same way.

A line of tens of MB (a pasted image, a `progress` record holding an agent's whole context)
and a timestamp that cannot be a time now land, or are set aside with a reason, while the
rest of the run lands and the next builds keep working.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatlake.pipeline import import_transcripts
from chatlake.extract.land import HUGE_LINE_MEMORY_FACTOR, huge_line_memory
from helpers import messages, query

MB = 1 << 20


def _record(uuid: str, session: str, content, timestamp: str = "2026-05-01T10:00:00.000Z", **extra) -> dict:
    return {"type": "user", "uuid": uuid, "sessionId": session, "timestamp": timestamp, "cwd": "/w",
            "isSidechain": False, "message": {"role": "user", "content": content}, **extra}


def _image_prompt(uuid: str, session: str, megabytes: int) -> dict:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0KGgo" + "A" * (megabytes * MB)}}
    return _record(uuid, session, [{"type": "text", "text": f"what is in {uuid}?"}, image])


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        for r in records:
            out.write(json.dumps(r, separators=(",", ":")) + "\n")


@pytest.fixture
def huge_tree(tmp_path):
    root = tmp_path / "projects" / "-w"
    # a 50 MB line between two ordinary prompts, and two adjacent 30 MB lines in another file
    _write(root / "big.jsonl", [_record("b-1", "s-big", "before the paste"), _image_prompt("b-2", "s-big", 50),
                                _record("b-3", "s-big", "after the paste", timestamp="2026-05-01T10:01:00.000Z")])
    _write(root / "two.jsonl", [_image_prompt("t-1", "s-two", 30), _image_prompt("t-2", "s-two", 30)])
    for i in range(5):
        _write(root / f"small-{i}.jsonl", [_record(f"m-{i}", f"s-{i}", f"small prompt {i}")])
    yield tmp_path / "projects"


def test_lines_of_tens_of_megabytes_land_with_the_rest_of_the_run(huge_tree, db):
    summary = import_transcripts(roots=[huge_tree], db=db)
    assert summary.ok, summary.failures
    assert summary.lines_rejected == 0
    got = messages(db)
    assert {"b-1", "b-2", "b-3", "t-1", "t-2", *(f"m-{i}" for i in range(5))} <= set(got)
    assert got["b-2"][3] == "what is in b-2?" and got["b-2"][4] == 1  # content and image count
    assert [r[0] for r in query(db, "select message_index from human_messages where session_id = 's-big'"
                                    " order by message_index")] == [0, 1, 2]
    (size,) = query(db, "select max(strlen(line::varchar)) from raw.lines")[0]
    assert size > 50 * MB
    # a re-run has nothing to do and keeps every row
    again = import_transcripts(roots=[huge_tree], db=db)
    assert again.ok and again.lines_landed == 0
    assert len(messages(db)) == len(got)


def test_a_line_too_large_for_the_machine_is_rejected_alone(huge_tree, db, monkeypatch):
    # a machine with 2 GB: a 50 MB line would need 1.6 GB, more than the half it may take
    monkeypatch.setattr("chatlake.extract.land.physical_memory", lambda: 2 << 30)
    summary = import_transcripts(roots=[huge_tree], db=db)
    assert summary.files_failed == 0 and summary.build_ok
    rejected = query(db, "select source_file, line_no, reason from raw.rejected_lines")
    assert len(rejected) == 1
    path, line_no, reason = rejected[0]
    assert path.endswith("big.jsonl") and line_no == 2
    assert reason.startswith("line too large to land: 50 MB")
    got = messages(db)
    assert {"b-1", "b-3", "t-1", "t-2"} <= set(got) and "b-2" not in got


def test_huge_line_memory_grows_with_the_line_and_stops_at_the_machine():
    gib = 1 << 30
    assert huge_line_memory(5 * MB, 24 * gib) == 512 * MB  # never below the load's own limit
    assert huge_line_memory(100 * MB, 24 * gib) == 100 * MB * HUGE_LINE_MEMORY_FACTOR
    assert huge_line_memory(1000 * MB, 24 * gib) is None
    assert huge_line_memory(1000 * MB, 0) is not None  # unknown memory: try rather than refuse


# -- timestamps that cannot be a time ------------------------------------------------------------


def _chatgpt_export(path: Path, create_times: list) -> None:
    conversations = []
    for i, created in enumerate(create_times):
        root, user = f"root-{i}", f"user-{i}"
        conversations.append({
            "id": f"conv-{i}", "conversation_id": f"conv-{i}", "title": f"chat {i}",
            "create_time": created, "update_time": created, "current_node": user,
            "mapping": {
                root: {"id": root, "message": None, "parent": None, "children": [user]},
                user: {"id": user, "parent": root, "children": [], "message": {
                    "id": user, "author": {"role": "user"}, "create_time": created,
                    "content": {"content_type": "text", "parts": [f"question number {i}"]},
                    "metadata": {}}},
            },
        })
    path.write_text(json.dumps(conversations))


def test_an_export_time_out_of_range_leaves_every_later_build_working(tmp_path, db):
    export = tmp_path / "conversations.json"
    _chatgpt_export(export, [1.7e15, 1_714_000_000.5, -1e300])
    projects = tmp_path / "projects"
    _write(projects / "-w" / "s.jsonl", [_record("c-1", "s-1", "a transcript prompt")])

    summary = import_transcripts(roots=[projects, export], db=db)
    assert summary.ok and summary.build_ok
    rows = dict(query(db, "select content, created_at is null from human_messages where source = 'chatgpt'"))
    assert rows == {"question number 0": True, "question number 1": False, "question number 2": True}

    # the next transcript-only import and a full refresh still build
    _write(projects / "-w" / "t.jsonl", [_record("c-2", "s-2", "a later prompt")])
    later = import_transcripts(roots=[projects], db=db)
    assert later.ok and later.build_ok
    refreshed = import_transcripts(roots=[projects, export], db=db, full_refresh=True)
    assert refreshed.ok and refreshed.build_ok
    assert {"c-1", "c-2"} <= set(messages(db))
    assert len(messages(db)) == 5


ODD_STAMPS = ["infinity", "-infinity", "epoch", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]


def test_a_transcript_time_that_cannot_be_real_becomes_null(tmp_path, db):
    projects = tmp_path / "projects"
    for i, stamp in enumerate(ODD_STAMPS):
        _write(projects / "-w" / f"s{i}.jsonl", [_record(f"odd-{i}", f"s-{i}", "odd time", timestamp=stamp),
                                                  _record(f"good-{i}", f"s-{i}", "good time")])
    summary = import_transcripts(roots=[projects], db=db)
    assert summary.ok
    rows = dict(query(db, "select message_uuid, created_at from human_messages"))
    assert all(rows[f"odd-{i}"] is None for i in range(len(ODD_STAMPS)))
    assert all(rows[f"good-{i}"] is not None for i in range(len(ODD_STAMPS)))
    # a session's first and last activity come from its real times only
    sessions = query(db, "select session_id, first_at, last_at from sessions")
    assert len(sessions) == len(ODD_STAMPS)
    for session_id, first_at, last_at in sessions:
        assert first_at == last_at == rows[f"good-{session_id[2:]}"]

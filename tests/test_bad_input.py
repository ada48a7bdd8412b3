"""Bad input never stops an import: it is rejected with a reason, counted, and the rest goes on."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.extract import extract
from helpers import messages, query

GOOD = {"type": "user", "uuid": "good-0001", "sessionId": "s-bad", "timestamp": "2026-05-01T10:00:00.000Z",
        "cwd": "/w", "isSidechain": False, "message": {"role": "user", "content": "still imported"}}


@pytest.mark.parametrize("batch", ["lists", "polars"])
def test_bad_lines_are_rejected_counted_and_the_rest_lands(tmp_path, db, batch, monkeypatch):
    # a small load goes to DuckDB as list parameters, a big one as a polars frame: same outcome
    if batch == "polars":
        monkeypatch.setattr("chatlake.extract.land.SMALL_BATCH_LINES", 0)
    root = tmp_path / "projects" / "-w"
    root.mkdir(parents=True)
    f = root / "s-bad.jsonl"
    lines = [
        b"",
        b'{"type": "user", "uuid": ',
        b"   ",
        b'"massive error"',
        b'{"silly": "this"}',
        b'{"type": "user", "bad": "\xff"}',
        b"42",
        b"[1]",
        b'{"type": 7}',
        b'{"type": ""}',
        json.dumps(GOOD).encode(),
    ]
    f.write_bytes(b"\n".join(lines) + b"\n")

    summary = import_transcripts([tmp_path / "projects"], db)

    assert summary.ok
    assert summary.lines_landed == 1 and summary.lines_rejected == 8
    rejected = query(db, "select line_no, reason, line_head from raw.rejected_lines order by line_no")
    assert [(r[0], r[1]) for r in rejected] == [
        (2, "invalid JSON: Expecting value at column 26"),
        (4, "not a JSON object: string"),
        (5, "missing type"),
        (6, "invalid UTF-8 at byte 25"),
        (7, "not a JSON object: number"),
        (8, "not a JSON object: array"),
        (9, "missing type"),
        (10, "missing type"),
    ]
    assert rejected[0][2] == '{"type": "user", "uuid": '
    assert "\ufffd" in rejected[3][2]
    assert messages(db)["good-0001"][3] == "still imported"
    assert query(db, "select line_no, byte_offset, record_type, session_id from raw.lines") == [
        (11, sum(len(line) + 1 for line in lines[:10]), "user", "s-bad")]


def test_lone_surrogates_and_a_bom_do_not_cost_a_record(tmp_path, db):
    root = tmp_path / "projects" / "-w"
    root.mkdir(parents=True)

    def record(uuid: str, content: str) -> str:  # content is JSON string body, escapes as written
        return json.dumps(dict(GOOD, uuid=uuid, message={"role": "user", "content": "@"})).replace('"@"', f'"{content}"')

    still_bad = record("bad-0001", "\\ud800")
    cut = '{"type": "user", "message": "unterminated'
    (root / "s-bad.jsonl").write_bytes(b"\xef\xbb\xbf" + "\n".join([
        record("bom-0001", "first line"),
        record("lone-0001", "cut \\ud83d here"),  # a high surrogate without its low half
        record("lone-0002", "\\udc00 and \\ud83d\\ude00 and \\\\ud800"),  # lone low; a pair; an escaped backslash
        still_bad + "}",  # still invalid once the surrogate is replaced
        cut,
    ]).encode() + b"\n")

    summary = import_transcripts([tmp_path / "projects"], db)

    assert summary.ok and summary.lines_landed == 3 and summary.lines_rejected == 2
    got = messages(db)
    assert got["bom-0001"][3] == "first line"
    assert got["lone-0001"][3] == "cut \ufffd here"
    assert got["lone-0002"][3] == "\ufffd and \U0001f600 and \\ud800"
    assert query(db, "select line_no, reason from raw.rejected_lines order by line_no") == [
        (4, f"invalid JSON: Extra data at column {len(still_bad) + 1}"),
        (5, f"invalid JSON: Unterminated string starting at column {cut.rindex(chr(34)) + 1}"),
    ]


def test_a_gemini_cli_session_cut_inside_an_emoji_is_imported(tmp_path, db):
    # Gemini CLI writes its files with JSON.stringify, which escapes half of a cut surrogate pair:
    # such a line, or document, stopped the whole import (Python could not encode the text)
    chats = tmp_path / "tmp" / "abc" / "chats"
    chats.mkdir(parents=True)

    def message(message_id: str, content: str) -> str:  # content as written, escapes included
        return ('{"id": "%s", "timestamp": "2026-01-01T00:00:01Z", "type": "user", "content": "%s"}'
                % (message_id, content))

    meta = '"sessionId": "%s", "projectHash": "abc", "startTime": "2026-01-01T00:00:00Z"'
    (chats / "session-2026-01-01T00-00-log1.jsonl").write_text("\n".join([
        "{" + meta % "log-1" + "}", message("l1", "cut \\ud83d here"), message("l2", "a pair \\ud83d\\ude00")]) + "\n")
    (chats / "session-2026-01-01T00-00-doc1.json").write_text(
        "{" + meta % "doc-1" + ', "messages": [' + message("d1", "cut \\udc00 there") + "]}")

    summary = import_transcripts([tmp_path / "tmp"], db)

    assert summary.ok and summary.lines_rejected == 0
    assert query(db, "select content from human_messages where source = 'gemini_cli' order by content") == [
        ("a pair \U0001f600",), ("cut \ufffd here",), ("cut \ufffd there",)]


def test_rejecting_lines_costs_about_what_landing_them_does(tmp_path):
    # Rejects were written one executemany row at a time, and try() redid each failing chunk row by
    # row: 20,000 invalid lines took 20 s against 1 s to land as many valid ones.
    def timed_extract(name: str, lines: list[str]) -> tuple[float, int, int]:
        root = tmp_path / name / "-w"
        root.mkdir(parents=True)
        (root / "s.jsonl").write_text("\n".join(lines) + "\n")
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        try:
            started = time.monotonic()
            result = extract(con, [tmp_path / name])
            return time.monotonic() - started, result.lines_landed, result.lines_rejected
        finally:
            con.close()

    valid = [json.dumps(dict(GOOD, uuid=f"u-{i}")) for i in range(20_000)]
    land_seconds, landed, _ = timed_extract("valid", valid)
    reject_seconds, _, rejected = timed_extract("invalid", [line[:-2] for line in valid])

    assert landed == rejected == 20_000
    assert reject_seconds < 5 * land_seconds + 1, (reject_seconds, land_seconds)


def test_rejected_line_keeps_only_its_first_kilobyte(tmp_path, db):
    root = tmp_path / "p"
    root.mkdir()
    (root / "big.jsonl").write_bytes(b'{"no_type": "' + b"x" * 50_000 + b'"}\n')
    import_transcripts([root], db)
    assert query(db, "select length(line_head), reason from raw.rejected_lines") == [(1024, "missing type")]


def test_multi_megabyte_image_line_lands(tmp_path, db):
    root = tmp_path / "p" / "-w"
    root.mkdir(parents=True)
    image = base64.b64encode(os.urandom(6 * 1024 * 1024)).decode()
    rec = dict(GOOD, uuid="img-0001", message={"role": "user", "content": [
        {"type": "text", "text": "what is wrong in this screenshot"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}}]})
    (root / "s-bad.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps(GOOD) + "\n")
    summary = import_transcripts([tmp_path / "p"], db)
    assert summary.ok and summary.lines_landed == 2
    assert messages(db)["img-0001"][2:] == ("prompt", "what is wrong in this screenshot", 1)


def test_unreadable_file_is_reported_and_the_rest_continues(tmp_path, db):
    root = tmp_path / "p" / "-w"
    root.mkdir(parents=True)
    (root / "s-bad.jsonl").write_text(json.dumps(GOOD) + "\n")
    broken = root / "unreadable.jsonl"
    if os.geteuid() == 0:
        # root reads any file regardless of mode; this one fails with EIO on read instead
        broken.symlink_to("/proc/self/mem")
    else:
        broken.write_text(json.dumps(GOOD) + "\n")
        broken.chmod(0)

    result = CliRunner().invoke(app, ["import", str(tmp_path / "p"), "--db", str(db)])

    assert result.exit_code == 1
    assert "1 failed" in result.stdout
    assert "unreadable.jsonl" in result.stderr
    assert "good-0001" in messages(db)


def test_blank_and_empty_files_are_fine(tmp_path, db):
    root = tmp_path / "p"
    root.mkdir()
    (root / "empty.jsonl").write_bytes(b"")
    (root / "blank.jsonl").write_bytes(b"\n\n  \n")
    (root / "journal.jsonl").write_text('{"type": "started"}\n')
    summary = import_transcripts([root], db)
    assert summary.ok and summary.files_seen == 2 and summary.lines_landed == 0 and summary.lines_rejected == 0


def test_second_writer_gets_one_line_naming_the_holder(tmp_path, db):
    (tmp_path / "p").mkdir()
    db.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"ready"
        result = CliRunner().invoke(app, ["import", str(tmp_path / "p"), "--db", str(db)])
        assert result.exit_code == 1
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, result.stderr
        assert f"process {holder.pid}" in lines[0] and "--wait" in lines[0]
        assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()


def test_wait_flag_waits_for_the_lock(tmp_path, db):
    (tmp_path / "p").mkdir()
    db.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(2)", str(db)],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"ready"
        started = time.monotonic()
        result = CliRunner().invoke(app, ["import", str(tmp_path / "p"), "--db", str(db), "--wait", "--quiet"])
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started > 0.5
    finally:
        holder.kill()
        holder.wait()

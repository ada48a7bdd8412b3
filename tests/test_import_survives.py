"""What a file system does to the paths and bytes under the roots never stops the import for good."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.core.db import connect
from chatlake.extract import extract, land, unchanged
from chatlake.example.exports import ExportGenerator, write_conversations
from helpers import query


def _record(uuid: str, content: str, session: str = "s-1") -> bytes:
    return json.dumps({"type": "user", "uuid": uuid, "sessionId": session, "timestamp": "2026-05-01T10:00:00.000Z",
                       "cwd": "/w", "isSidechain": False, "message": {"role": "user", "content": content}}).encode() + b"\n"


def _extract(db: Path, roots: list[Path], **options):
    db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(db)
    try:
        return extract(con, roots, **options)
    finally:
        con.close()


def _lines(db: Path) -> list[tuple]:
    return query(db, "select source_file, line_no, uuid, line ->> '$.message.content' from raw.lines order by all")


def test_names_that_are_not_utf8_land_under_an_escaped_name_and_stay_that_file(tmp_path, db):
    root = tmp_path / "projects"
    folder = os.fsencode(root) + b"/bad\xffdir"
    os.makedirs(folder)
    with open(folder + b"/s\xfe.jsonl", "wb") as fh:
        fh.write(_record("u-1", "first"))
    (root / "good.jsonl").write_bytes(_record("u-2", "second", "s-2"))

    first = import_transcripts([root], db)

    assert first.ok and first.lines_landed == 2 and first.human_messages_total == 2
    escaped = f"{root}/bad\\xffdir/s\\xfe.jsonl"
    assert _lines(db) == [(escaped, 1, "u-1", "first"), (f"{root}/good.jsonl", 1, "u-2", "second")]
    # the next run knows it from the walk alone, as any other file
    assert unchanged.check(db, [root], None).same is not None
    again = import_transcripts([root], db)
    assert again.ok and not again.built and again.files_unchanged == 2

    with open(folder + b"/s\xfe.jsonl", "ab") as fh:
        fh.write(_record("u-3", "third"))
    grown = import_transcripts([root], db)

    assert grown.ok and grown.files_appended == 1 and grown.lines_landed == 1
    assert query(db, "select line_no, uuid from raw.lines where source_file = ? order by 1", [escaped]) == [
        (1, "u-1"), (2, "u-3")]
    assert query(db, "select count(*) from raw.files") == [(2,)]


def test_an_export_in_a_folder_that_is_not_utf8_lands(tmp_path, db):
    folder = os.fsencode(tmp_path / "downloads") + b"/\xe9t\xe9"
    os.makedirs(folder)
    write_conversations(Path(os.fsdecode(folder)) / "conversations.json", [ExportGenerator().chatgpt(prompts=2)])

    result = _extract(db, [tmp_path / "downloads"])

    assert result.failures == [] and result.exports.conversations_landed == 1
    assert query(db, "select source_file from raw.export_files") == [
        (f"{tmp_path}/downloads/\\xe9t\\xe9/conversations.json",)]


def test_bytes_appended_after_the_read_reached_the_end_land_next_time(tmp_path, db, monkeypatch):
    root = tmp_path / "projects"
    root.mkdir()
    transcript = root / "s-1.jsonl"
    transcript.write_bytes(_record("u-1", "first"))
    read_lines = land.iter_lines

    def then_appended(stream, *args, **kwargs):
        # Claude Code writes the session's last record just after the reader saw the end of the file
        yield from read_lines(stream, *args, **kwargs)
        with open(transcript, "ab") as fh:
            fh.write(_record("u-2", "last words"))

    monkeypatch.setattr(land, "iter_lines", then_appended)
    assert _extract(db, [root]).lines_landed == 1
    monkeypatch.setattr(land, "iter_lines", read_lines)

    second = _extract(db, [root])

    assert second.files_appended == 1 and second.lines_landed == 1
    assert [r[2] for r in _lines(db)] == ["u-1", "u-2"]
    assert _extract(db, [root]).load_id is None  # then nothing is left to read


def test_a_tree_1500_folders_deep_lands(tmp_path, db):
    root = tmp_path / "projects"
    deep = str(root)
    root.mkdir()
    for _ in range(1500):  # os.makedirs and shutil.rmtree recurse as deep as the tree
        deep = os.path.join(deep, "d")
        os.mkdir(deep)
    try:
        Path(deep, "s-1.jsonl").write_bytes(_record("u-1", "down there"))

        result = _extract(db, [root])

        assert result.failures == [] and result.lines_landed == 1
        assert _lines(db)[0][0] == os.path.join(deep, "s-1.jsonl")
    finally:
        os.unlink(os.path.join(deep, "s-1.jsonl"))
        while deep != str(root):
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def _padded(uuid: str, content: str, width: int) -> bytes:
    line = _record(uuid, content)
    return line[:-2] + b", \"pad\": \"" + b"p" * (width - len(line) - 10) + b"\"}\n"


def test_a_rewrite_that_keeps_the_head_is_read_again(tmp_path, db):
    root = tmp_path / "projects"
    root.mkdir()
    same_size, grows = root / "same-size.jsonl", root / "grows.jsonl"
    head = _padded("u-head", "head", 6000)
    for path in (same_size, grows):
        path.write_bytes(head + _record("u-old", "old"))
    _extract(db, [root])

    same_size.write_bytes(head + _record("u-new", "new"))  # same length: "old" -> "new"
    os.utime(same_size, ns=(same_size.stat().st_mtime_ns + 10**9,) * 2)
    grows.write_bytes(head + _record("u-new", "replaced") + _record("u-more", "more"))

    result = _extract(db, [root])

    assert result.files_rewritten == 2
    assert _lines(db) == [
        (str(grows), 1, "u-head", "head"), (str(grows), 2, "u-new", "replaced"), (str(grows), 3, "u-more", "more"),
        (str(same_size), 1, "u-head", "head"), (str(same_size), 2, "u-new", "new")]


def test_full_refresh_reads_every_file_again(tmp_path, db):
    root = tmp_path / "projects"
    root.mkdir()
    edited, untouched = root / "edited.jsonl", root / "untouched.jsonl"
    middle = _record("u-mid", "before")
    edited.write_bytes(_padded("u-1", "one", 6000) + middle + _padded("u-3", "three", 6000))
    untouched.write_bytes(_record("u-4", "four", "s-4"))
    import_transcripts([root], db)
    stat = edited.stat()
    # an edit in the middle that keeps the size and the mtime: no stat or fingerprint can tell
    edited.write_bytes(edited.read_bytes().replace(middle, middle.replace(b"before", b"after!")))
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert import_transcripts([root], db).lines_landed == 0

    result = CliRunner().invoke(app, ["import", str(root), "--db", str(db), "--full-refresh"])

    assert result.exit_code == 0, result.output
    assert [r[2:] for r in _lines(db)] == [("u-1", "one"), ("u-mid", "after!"), ("u-3", "three"), ("u-4", "four")]
    assert query(db, "select content from human_messages where message_uuid = 'u-mid'") == [("after!",)]


def test_an_unreadable_entry_fails_one_import_not_every_one(tmp_path, db):
    root = tmp_path / "projects"
    (root / "-w").mkdir(parents=True)
    (root / "-w" / "s-1.jsonl").write_bytes(_record("u-1", "first"))
    os.symlink("loop.jsonl", root / "-w" / "loop.jsonl")
    runner = CliRunner()
    args = ["import", str(root), "--db", str(db)]

    first = runner.invoke(app, args)

    assert first.exit_code == 1
    assert f"{root}/-w/loop.jsonl: Too many levels of symbolic links" in first.output
    loads = query(db, "select count(*) from raw.loads")

    second = runner.invoke(app, args)

    assert second.exit_code == 0, second.output
    assert "loop.jsonl" not in second.output and "nothing new: dbt not run" in second.output
    assert query(db, "select count(*) from raw.loads") == loads

    (root / "-w" / "s-1.jsonl").open("ab").write(_record("u-2", "second"))
    os.symlink("other.jsonl", root / "-w" / "other.jsonl")
    third = runner.invoke(app, ["import", str(root), "--db", str(db), "--json"])

    assert third.exit_code == 1
    summary = json.loads(third.stdout)
    assert summary["lines_landed"] == 1 and summary["files_failed"] == 1
    assert summary["failures"] == [f"{root}/-w/other.jsonl: Too many levels of symbolic links"]
    fourth = runner.invoke(app, args)
    assert fourth.exit_code == 0 and "nothing new: dbt not run" in fourth.output


def test_linked_and_overlapping_roots_land_each_file_once(tmp_path, db):
    root = tmp_path / "projects"
    (root / "-w").mkdir(parents=True)
    (root / "-w" / "s-1.jsonl").write_bytes(_record("u-1", "here"))
    elsewhere = tmp_path / "mnt" / "-elsewhere"
    elsewhere.mkdir(parents=True)
    (elsewhere / "s-2.jsonl").write_bytes(_record("u-2", "there", "s-2"))
    os.symlink(elsewhere, root / "-elsewhere")  # a project folder moved to another disk
    os.symlink(root, elsewhere / "back")  # and a link back up: a loop
    linked_root = tmp_path / "link-to-projects"
    os.symlink(root, linked_root)

    result = _extract(db, [linked_root, root / "-w", root, root / "-elsewhere"])

    assert result.failures == [] and result.lines_landed == 2
    assert [r[:3] for r in _lines(db)] == [
        (f"{root}/-elsewhere/s-2.jsonl", 1, "u-2"), (f"{root}/-w/s-1.jsonl", 1, "u-1")]
    assert _extract(db, [root, linked_root]).load_id is None  # the same names on the next walk


def test_a_warehouse_landed_before_tails_were_kept_goes_on_appending(tmp_path, db):
    root = tmp_path / "projects"
    root.mkdir()
    transcript = root / "s-1.jsonl"
    transcript.write_bytes(_record("u-1", "first"))
    _extract(db, [root])
    con = connect(db)
    con.execute("alter table raw.files drop column tail_sha")  # as an earlier chatlake made it
    con.execute("drop table raw.schema_migrations")  # which kept no record of its schema either
    con.close()
    with open(transcript, "ab") as fh:
        fh.write(_record("u-2", "second"))

    result = _extract(db, [root])

    assert result.files_appended == 1 and result.lines_landed == 1
    assert [r[2] for r in _lines(db)] == ["u-1", "u-2"]
    assert query(db, "select tail_sha is not null from raw.files") == [(True,)]


def test_a_transcript_that_cannot_be_opened_is_reported_once(tmp_path, db, monkeypatch):
    root = tmp_path / "projects"
    (root / "-w").mkdir(parents=True)
    (root / "-w" / "s-1.jsonl").write_bytes(_record("u-1", "first"))
    locked = root / "-w" / "locked.jsonl"
    locked.write_bytes(_record("u-9", "unreadable", "s-9"))
    # mode 000 does not stop root, who runs CI: the walk asks os.access, as for any other user
    real_access = os.access
    monkeypatch.setattr("chatlake.extract.discover.os.access",
                        lambda path, mode: False if str(path) == str(locked) else real_access(path, mode))
    runner = CliRunner()
    args = ["import", str(root), "--db", str(db)]

    first = runner.invoke(app, args)
    assert first.exit_code == 1 and f"{locked}: Permission denied" in first.output
    loads = query(db, "select count(*) from raw.loads")

    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "nothing new: dbt not run" in second.output
    assert query(db, "select count(*) from raw.loads") == loads

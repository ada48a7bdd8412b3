"""ChatGPT and Claude.ai exports: parsing decisions on single inputs, then real imports (CLI, DuckDB, dbt)."""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import ijson
import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.extract import extract
from chatlake.extract.exports import chatgpt, claude_ai
from chatlake.extract.exports.decide import MISSING, Verdict, judge
from chatlake.extract.exports.detect import SourceKind, detect_kind
from chatlake.extract.exports.files import NotAnExport, iter_conversations
from chatlake.extract.exports.records import RejectedConversation
from chatlake.example.transcripts import TranscriptGenerator
from chatlake.example.exports import ExportGenerator, write_batches, write_conversations, write_zip
from conftest import CORPUS
from helpers import query


def node(node_id, parent, children, role="user", text="hi", created=None, **metadata):
    message = {"id": node_id, "author": {"role": role}, "create_time": created,
               "content": {"content_type": "text", "parts": [text]}, "metadata": metadata}
    return {"id": node_id, "parent": parent, "children": children, "message": message}


# -- ChatGPT linearisation ------------------------------------------------------------

def edited_mapping() -> dict:
    """root -> u1 -> a1 -> {u2 (abandoned, latest time), u2e (edit)} -> a2e (answer older than its prompt)."""
    return {
        "root": {"id": "root", "parent": None, "children": ["u1"], "message": None},
        "u1": node("u1", "root", ["a1"], created=None),
        "a1": node("a1", "u1", ["u2", "u2e"], role="assistant", created=20.0),
        "u2": node("u2", "a1", [], created=99.0),
        "u2e": node("u2e", "a1", ["a2e"], created=40.0),
        "a2e": node("a2e", "u2e", [], role="assistant", created=35.0),
    }


def test_chatgpt_path_follows_parents_from_current_node_not_time():
    assert chatgpt.active_path(edited_mapping(), "a2e") == ["root", "u1", "a1", "u2e", "a2e"]


def test_chatgpt_missing_or_unknown_current_node_falls_back_to_the_latest_leaf():
    mapping = edited_mapping()
    assert chatgpt.active_path(mapping, None) == ["root", "u1", "a1", "u2"]
    assert chatgpt.active_path(mapping, "gone") == ["root", "u1", "a1", "u2"]


def test_chatgpt_without_any_time_falls_back_to_the_last_child_walk():
    mapping = edited_mapping()
    for item in mapping.values():
        if item["message"]:
            item["message"]["create_time"] = None
    assert chatgpt.active_path(mapping, None) == ["root", "u1", "a1", "u2e", "a2e"]


def test_chatgpt_parent_cycle_ends_the_walk():
    mapping = {"a": node("a", "b", ["b"]), "b": node("b", "a", ["a"])}
    assert chatgpt.active_path(mapping, "a") == ["b", "a"]


def test_chatgpt_conversation_keeps_only_message_nodes_of_the_branch():
    conv = {"id": "c1", "title": "T", "update_time": 5.0, "current_node": "a2e", "mapping": edited_mapping()}
    parsed = chatgpt.parse_conversation(conv)
    assert [m.message_id for m in parsed.messages] == ["u1", "a1", "u2e", "a2e"]
    assert [m.position for m in parsed.messages] == [0, 1, 2, 3]
    assert parsed.messages[2].parent_id == "a1" and parsed.messages[0].created_at is None


def test_chatgpt_message_facts_count_images_and_flag_hidden():
    message = {"id": "m", "author": {"role": "user"}, "metadata": {"is_visually_hidden_from_conversation": True},
               "content": {"content_type": "multimodal_text", "parts": [
                   {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"}, "look", ""]}}
    facts = chatgpt.message_facts(0, "m", None, message)
    assert (facts.text, facts.image_count, facts.is_hidden, facts.content_type) == ("look", 1, True, "multimodal_text")


@pytest.mark.parametrize("conv, reason", [
    ([], "not a JSON object"),
    ({"mapping": {}}, "missing conversation id (id or conversation_id)"),
    ({"id": "x", "mapping": []}, "missing mapping"),
])
def test_chatgpt_rejects_unusable_conversations(conv, reason):
    with pytest.raises(RejectedConversation, match=reason.replace("(", r"\(").replace(")", r"\)")):
        chatgpt.parse_conversation(conv)


# -- Claude.ai ------------------------------------------------------------------------

def claude_message(uuid, sender, text, created, parent=None, **extra):
    message = {"uuid": uuid, "sender": sender, "text": text, "content": [], "created_at": created}
    if parent is not None:
        message["parent_message_uuid"] = parent
    message.update(extra)
    return message


def test_claude_ai_without_parents_keeps_list_order():
    messages = [claude_message("b", "human", "x", "2025-01-02T00:00:00Z"), claude_message("a", "assistant", "y", "2025-01-01T00:00:00Z")]
    assert [m["uuid"] for m in claude_ai.visible_branch(messages)] == ["b", "a"]


def test_claude_ai_follows_parents_from_the_latest_leaf_or_the_named_leaf():
    root = "00000000-0000-4000-8000-000000000000"
    messages = [
        claude_message("h1", "human", "first", "2025-01-01T00:00:00Z", root),
        claude_message("a1", "assistant", "ok", "2025-01-01T00:00:01Z", "h1"),
        claude_message("h2", "human", "old wording", "2025-01-01T00:00:02Z", "a1"),
        claude_message("h2e", "human", "new wording", "2025-01-01T00:00:05Z", "a1"),
    ]
    assert [m["uuid"] for m in claude_ai.visible_branch(messages)] == ["h1", "a1", "h2e"]
    assert [m["uuid"] for m in claude_ai.visible_branch(messages, "h2")] == ["h1", "a1", "h2"]


def test_claude_ai_text_comes_from_text_or_text_blocks_never_attachments():
    blocks = claude_message("h", "human", "", "2025-01-01T00:00:00Z", content=[
        {"type": "text", "text": "typed"}, {"type": "tool_use", "name": "x", "input": {}}],
        attachments=[{"file_name": "a.txt", "extracted_content": "pasted"}], files=[{"file_name": "p.PNG"}, {"file_name": "d.pdf"}])
    assert claude_ai.typed_text(blocks) == "typed"
    assert claude_ai.image_count(blocks) == 1
    parsed = claude_ai.parse_conversation({"uuid": "c", "name": "N", "chat_messages": [blocks]})
    assert (parsed.messages[0].text, parsed.messages[0].attachment_count, parsed.messages[0].role) == ("typed", 1, "human")


# -- detection, reading, deciding -----------------------------------------------------

def test_kind_is_detected_from_content():
    assert detect_kind({"mapping": {}}) is SourceKind.CHATGPT
    assert detect_kind({"chat_messages": []}) is SourceKind.CLAUDE_AI
    assert detect_kind({"type": "user"}) is None and detect_kind([]) is None


@pytest.mark.parametrize("text, expected", [
    (b'[{"id": 1}, {"id": 2}]', [{"id": 1}, {"id": 2}]),
    (b'\xef\xbb\xbf  {"version": 1, "conversations": [{"id": 1}]}', [{"id": 1}]),
    (b'{"id": 1, "mapping": {}}', [{"id": 1, "mapping": {}}]),
    (b'[]', []),
])
def test_conversations_stream_from_every_document_shape(text, expected):
    assert list(iter_conversations(io.BytesIO(text))) == expected


def test_a_broken_document_yields_what_came_before_the_break():
    stream = iter_conversations(io.BytesIO(b'[{"id": 1}, {"id": 2'))
    assert next(stream) == {"id": 1}
    with pytest.raises(ijson.JSONError):
        next(stream)
    with pytest.raises(NotAnExport):
        list(iter_conversations(io.BytesIO(b'"just a string"')))


def test_only_a_newer_update_time_replaces_a_landed_conversation():
    assert judge(MISSING, None) is Verdict.NEW
    assert judge(10.0, 11.0) is Verdict.UPDATED
    assert judge(10.0, 10.0) is Verdict.UNCHANGED
    assert judge(10.0, 9.0) is Verdict.UNCHANGED
    assert judge(None, 3.0) is Verdict.UPDATED and judge(None, None) is Verdict.UNCHANGED


# -- real imports -----------------------------------------------------------------------

def export_rows(db: Path) -> list[tuple]:
    return query(db, "select session_id, message_index, message_uuid, content, image_count, source, project_path,"
                     " git_branch, kind, content_hash = lower(sha256(content)) from human_messages"
                     " where source <> 'claude_code' order by session_id, message_index")


def expected_rows(conversations, source: str) -> list[tuple]:
    rows = []
    for gen in conversations:
        for index, m in enumerate(gen.expected):
            rows.append((gen.id, index, m.message_id, m.content, m.image_count, source, None, None, "prompt", True))
    return rows


@pytest.fixture
def exports(tmp_path):
    gen = ExportGenerator(seed=3)
    gpt = [gen.chatgpt(edit=True, null_time=True), gen.chatgpt(hidden=True, image=True, title=None),
           gen.chatgpt(current_node=False), gen.chatgpt(prompts=0)]
    claude = [gen.claude_ai(tree=True, edit=True, image=True), gen.claude_ai(), gen.claude_ai(title="")]
    return {
        "gen": gen, "gpt": gpt, "claude": claude,
        "gpt_zip": write_zip(tmp_path / "downloads" / "chatgpt-export.zip", gpt),
        "claude_dir": tmp_path / "claude-export",
        "claude_batches": write_batches(tmp_path / "claude-export", claude, batches=2),
    }


def test_exports_and_transcripts_land_in_one_warehouse(tmp_path, db, exports):
    tree = TranscriptGenerator(tmp_path / "projects", seed=5).write_tree(sessions=2, prompts=3)
    result = CliRunner().invoke(app, ["import", str(tree.root), str(exports["gpt_zip"]), str(exports["claude_dir"]),
                                      "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "exports: 3 files; conversations: 7 landed, 0 unchanged, 0 rejected" in result.stdout

    rows = export_rows(db)
    assert [r for r in rows if r[5] == "chatgpt"] == sorted(expected_rows(exports["gpt"], "chatgpt"))
    assert [r for r in rows if r[5] == "claude_ai"] == sorted(expected_rows(exports["claude"], "claude_ai"))
    assert not any("Abandoned" in r[3] or "injected" in r[3] or "Pasted" in r[3] for r in rows)
    cc = query(db, "select message_uuid, content from human_messages where source = 'claude_code'")
    assert sorted(cc) == sorted((m.uuid, m.content) for m in tree.expected)

    sessions = dict((r[0], r[1:]) for r in query(
        db, "select session_id, title, source, project_path, git_branch, human_message_count from sessions"))
    for gen in exports["gpt"] + exports["claude"]:
        title = gen.conversation.get("title", gen.conversation.get("name"))
        kind = "chatgpt" if "mapping" in gen.conversation else "claude_ai"
        if not gen.expected:
            assert sessions[gen.id][1:] == (kind, None, None, 0)
            continue
        first = gen.expected[0].content
        shown = title or (first if len(first) <= 80 else first[:79] + "…")
        assert sessions[gen.id] == (shown, kind, None, None, len(gen.expected))
    assert {s[1] for s in sessions.values()} == {"claude_code", "chatgpt", "claude_ai"}


def test_a_newer_export_adds_only_new_or_updated_conversations(tmp_path, db):
    gen = ExportGenerator(seed=9)
    kept, grown = gen.chatgpt(), gen.chatgpt(prompts=2)
    first = write_conversations(tmp_path / "june" / "conversations.json", [kept, grown])
    import_transcripts([first], db)
    before = dict((r[0], r[1:]) for r in query(db, "select message_uuid, message_index, session_id from human_messages"))

    grown_later, added = gen.continue_chatgpt(grown, prompts=2), gen.chatgpt(prompts=1)
    second = write_zip(tmp_path / "july" / "export.zip", [kept, grown_later, added])
    summary = import_transcripts([second], db)

    assert (summary.conversations_landed, summary.conversations_unchanged) == (2, 1)
    touched = query(db, "select session_id from raw.touched_sessions where load_id = (select max(load_id) from raw.loads)")
    assert sorted(r[0] for r in touched) == sorted([grown.id, added.id])
    after = dict((r[0], r[1:]) for r in query(db, "select message_uuid, message_index, session_id from human_messages"))
    assert all(after[uuid] == row for uuid, row in before.items())  # indexes are stable
    assert export_rows(db) == sorted(expected_rows([kept, grown_later, added], "chatgpt"))
    # an unchanged export file is not even read, and its conversations count as unchanged
    # (issue 15: a no-op export run said "0 unchanged"); the older export, read again, lands nothing
    unread = import_transcripts([first], db)
    assert (unread.conversations_landed, unread.conversations_unchanged) == (0, 2)
    os.utime(first, ns=(first.stat().st_mtime_ns + 10**9,) * 2)
    again = extract_only(db, [first])
    assert (again.conversations_landed, again.conversations_unchanged) == (0, 2)
    assert query(db, "select count(*) from raw.export_conversations where conversation_id = ?"
                     " and updated_epoch = ?", [grown.id, grown_later.conversation["update_time"]]) == [(1,)]


def extract_only(db: Path, roots: list[Path], source_kind: str | None = None):
    """The extractor alone (no dbt build), for checks that only concern the raw layer."""
    con = duckdb.connect(str(db))
    try:
        return extract(con, roots, source_kind=source_kind).exports
    finally:
        con.close()


def test_bad_exports_are_rejected_with_a_reason(tmp_path, db):
    gen = ExportGenerator(seed=4)
    good = gen.chatgpt(prompts=2)
    broken = tmp_path / "conversations.json"
    body = json.dumps([good.conversation, {"id": "no-mapping"}, 42, gen.chatgpt().conversation])
    broken.write_text(body[: len(body) - 40])  # cut short inside the last conversation
    notes = tmp_path / "notes.json"
    notes.write_text('{"todo": ["buy milk"]}')

    result = CliRunner().invoke(app, ["import", str(broken), str(notes), "--db", str(db)])

    assert result.exit_code == 1
    assert f"{notes}: neither a ChatGPT nor a Claude.ai export" in result.stderr
    assert "Traceback" not in result.output
    assert export_rows(db) == sorted(expected_rows([good], "chatgpt"))
    rejected = query(db, "select file_position, reason from raw.rejected_conversations order by file_position")
    assert rejected[:2] == [(2, "missing mapping"), (3, "not a JSON object")]
    assert rejected[2][0] == 4 and rejected[2][1].startswith("invalid JSON after conversation 3")

    forced = extract_only(db, [exports_zip(tmp_path, gen)], source_kind="claude_ai")
    assert (forced.conversations_landed, forced.conversations_rejected) == (0, 1)
    assert query(db, "select reason from raw.rejected_conversations where load_id = (select max(load_id) from raw.loads)") \
        == [("missing chat_messages",)]
    bogus = CliRunner().invoke(app, ["import", str(broken), "--source-kind", "bard", "--db", str(db)])
    assert bogus.exit_code == 2 and "unknown source kind 'bard'" in bogus.stderr


def test_odd_conversations_cost_only_themselves(tmp_path, db):
    gen = ExportGenerator(seed=6)
    first, deep, huge, lone, last = (gen.chatgpt(prompts=2) for _ in range(5))
    message = next(n["message"] for n in deep.conversation["mapping"].values() if n["message"])
    message["metadata"]["nested"] = "@DEEP@"
    huge.conversation["create_time"] = "@HUGE@"
    huge.conversation["mapping"][huge.expected[0].message_id]["message"]["metadata"]["score"] = "@HUGE@"
    parts = lone.conversation["mapping"][lone.expected[0].message_id]["message"]["content"]["parts"]
    parts[0] += " @LONE@"
    lone.expected[0] = replace(lone.expected[0], content=lone.expected[0].content + " \ufffd")
    body = json.dumps([g.conversation for g in (first, deep, huge, lone, last)], ensure_ascii=False)
    body = body.replace('"@DEEP@"', '{"a": ' * 2000 + "1" + "}" * 2000).replace('"@HUGE@"', "1e400")
    export = tmp_path / "conversations.json"
    export.write_text(body.replace("@LONE@", "\\ud83d"))  # JSON.stringify's half of an emoji
    truncated = write_zip(tmp_path / "cut" / "export.zip", [gen.chatgpt()])
    truncated.write_bytes(truncated.read_bytes()[:300])

    result = CliRunner().invoke(app, ["import", str(export), str(truncated), "--db", str(db)])

    assert result.exit_code == 1, result.output
    assert f"{truncated}: truncated or corrupt zip" in result.stderr and "Traceback" not in result.output
    assert export_rows(db) == sorted(expected_rows([first, huge, lone, last], "chatgpt"))
    assert query(db, "select file_position, reason, head from raw.rejected_conversations") == [
        (2, "nested too deeply to store", None)]
    assert query(db, "select created_epoch from raw.export_conversations where conversation_id = ?",
                 [huge.id]) == [(None,)]
    assert query(db, "select message ->> '$.metadata.score' is null and message ->> '$.metadata' is not null"
                     " from raw.export_messages where message_id = ?", [huge.expected[0].message_id]) == [(True,)]


def test_whitespace_before_the_document_is_skipped_in_linear_time():
    class Blank:
        """64 MB of whitespace, then `tail`, without holding them in memory."""

        def __init__(self, tail: bytes) -> None:
            self.left, self.tail = 64 << 20, tail

        def read(self, n: int = -1) -> bytes:
            if self.left <= 0:
                data, self.tail = self.tail, b""
                return data
            self.left -= 65536
            return b" \n" * 32768

    started = time.monotonic()
    assert list(iter_conversations(Blank(b'[{"id": 1}]'))) == [{"id": 1}]
    with pytest.raises(NotAnExport, match="empty file"):
        list(iter_conversations(Blank(b"")))
    assert time.monotonic() - started < 5  # it was quadratic: 12 s for these, 120 s for 200 MB


@pytest.mark.parametrize("read_size", range(1, 14))
def test_lone_surrogates_read_as_replacement_characters_across_reads(read_size):
    class Trickle(io.BytesIO):
        def read(self, n: int = -1) -> bytes:
            return super().read(min(n, read_size) if n > 0 else read_size)

    doc = rb'[{"t": "a\ud83d\ude00 b\ud83d c\\ud800 d\\\udc00 e\uD800\uDBFF\uDFFF"}]'
    assert list(iter_conversations(Trickle(doc))) == [{"t": "a\U0001f600 b\ufffd c\\ud800 d\\\ufffd e\ufffd\U0010ffff"}]


def exports_zip(tmp_path: Path, gen: ExportGenerator) -> Path:
    return write_zip(tmp_path / "other" / "export.zip", [gen.chatgpt(prompts=1)])


# -- conformance on the shared samples ---------------------------------------------------

SAMPLES = {
    "polylogue/tests/fixtures/chatgpt/native-conversation-v1.json": "chatgpt",
    "polylogue/tests/fixtures/origin-capability/chatgpt-export.json": "chatgpt",
    "polylogue/polylogue/schemas/providers/chatgpt/representatives/sample-00.json": "chatgpt",
    "polylogue/polylogue/schemas/providers/chatgpt/representatives/sample-01.json": "chatgpt",
    "polylogue/tests/fixtures/origin-capability/claude-ai-export.json": "claude_ai",
    "polylogue/polylogue/schemas/providers/claude-ai/representatives/sample-00.json": "claude_ai",
}


def oracle(conv: dict, kind: str) -> list[tuple[str, str]]:
    """Human messages by FORMAT.md sections 8 and 9, read from the sample in the simplest way."""
    if kind == "claude_ai":
        return [(m["uuid"], (m.get("text") or "".join(b.get("text", "") for b in m.get("content", [])
                                                      if b.get("type") == "text")).strip())
                for m in conv["chat_messages"] if m["sender"] == "human"]
    mapping, path, node_id = conv["mapping"], [], conv["current_node"]
    while node_id:
        path.insert(0, mapping[node_id])
        node_id = mapping[node_id].get("parent")
    found = []
    for item in path:
        m = item.get("message")
        if not m or m["author"]["role"] != "user" or (m.get("metadata") or {}).get("is_visually_hidden_from_conversation"):
            continue
        content = m["content"]
        if content["content_type"] in ("text", "multimodal_text"):
            found.append((m["id"], "\n".join(p for p in content["parts"] if isinstance(p, str) and p).strip()))
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the public sample corpus is absent ({CORPUS})")
def test_shared_samples_conform(db):
    paths = [CORPUS / rel for rel in SAMPLES]
    summary = import_transcripts(paths, db)
    assert summary.ok and summary.conversations_landed == len(SAMPLES) and summary.conversations_rejected == 0
    for rel, kind in SAMPLES.items():
        conv = json.loads((CORPUS / rel).read_text())
        cid = conv.get("id") or conv["uuid"]
        got = query(db, "select message_uuid, content from human_messages where session_id = ? order by message_index", [cid])
        assert got == oracle(conv, kind), rel
        assert query(db, "select source from sessions where session_id = ?", [cid]) == [(kind,)]
    native = query(db, "select content, image_count from human_messages where session_id = 'chatgpt-fixture-conversation'")
    assert native == [("Analyze the attached fixture and create an artifact.", 1)]


# -- what a user sees of a rejected export -------------------------------------------------

def test_a_cut_export_shows_its_reason_exits_1_and_builds_nothing(tmp_path, db):
    gen = ExportGenerator(seed=6)
    cut = tmp_path / "cut" / "conversations.json"
    write_conversations(cut, [gen.chatgpt(prompts=3)])
    cut.write_bytes(cut.read_bytes()[:-200])  # a download that stopped early

    result = CliRunner().invoke(app, ["import", str(cut), "--db", str(db)])

    assert result.exit_code == 1, result.output
    assert "conversations: 0 landed, 0 unchanged, 1 rejected" in result.stdout
    assert f"rejected: {cut} #1: invalid JSON after conversation 0" in result.stderr
    assert "nothing new: dbt not run" in result.stdout
    assert query(db, "select count(*) from information_schema.tables where table_name = 'human_messages'") == [(0,)]
    status = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert "rejected conversations: 1" in status.stdout


def test_many_rejections_show_the_first_few_and_a_count(tmp_path, db):
    junk = tmp_path / "conversations.json"
    junk.write_text(json.dumps([{"id": f"c{n}"} for n in range(8)]))  # eight conversations without messages

    result = CliRunner().invoke(app, ["import", str(junk), "--source-kind", "chatgpt", "--db", str(db)])

    assert result.exit_code == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    assert shown[:5] == [f"rejected: {junk} #{n}: missing mapping" for n in range(1, 6)]
    assert shown[5:] == ["rejected: 3 more conversations (reasons in raw.rejected_conversations)"]


def test_an_export_only_run_reads_as_one(tmp_path, db):
    gen = ExportGenerator(seed=8)
    export = write_conversations(tmp_path / "conversations.json", [gen.chatgpt(prompts=2)])

    result = CliRunner().invoke(app, ["import", str(export), "--db", str(db)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"roots: {export}"
    assert not any(line.startswith(("files:", "lines:")) for line in lines)
    assert "exports: 1 file; conversations: 1 landed, 0 unchanged, 0 rejected" in lines
    status = CliRunner().invoke(app, ["status", "--db", str(db)]).stdout.splitlines()
    assert "exports: 1 file, 1 conversation" in status and "rejected conversations: 0" in status

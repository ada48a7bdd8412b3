"""Land export conversations in `raw.export_*`, inside the extractor's transaction.

Each conversation is parsed (and linearised) as it streams out of the file, judged against the
update time already landed for its id, and buffered; buffers go to DuckDB in batches, replacing
the rows of an older version of the same conversation.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import ijson

from chatlake.core.errors import UsageError
from chatlake.extract.batch import ArrowBatch
from chatlake.extract.exports import chatgpt, claude_ai
from chatlake.extract.exports.decide import MISSING, Verdict, file_changed, judge
from chatlake.extract.exports.detect import SourceKind, detect_kind
from chatlake.extract.exports.files import (
    ExportFile, NotAnExport, find_exports, is_export_zip, iter_conversations, open_sources,
)
from chatlake.extract.exports.records import ExportConversation, RejectedConversation

PARSERS = {
    SourceKind.CHATGPT: chatgpt.parse_conversation,
    SourceKind.CLAUDE_AI: claude_ai.parse_conversation,
}
# Hand buffered conversations to DuckDB once their messages hold this much JSON.
FLUSH_BYTES = 32 << 20
HEAD_CHARS = 1024

# Column order of raw.export_conversations and raw.export_messages, with polars dtype names.
CONVERSATION_COLUMNS = [
    ("load_id", "Int64"), ("source_kind", "String"), ("conversation_id", "String"), ("source_file", "String"),
    ("file_position", "Int64"), ("title", "String"), ("created_epoch", "Float64"), ("updated_epoch", "Float64"),
    ("message_count", "Int64"),
]
MESSAGE_COLUMNS = [
    ("load_id", "Int64"), ("source_kind", "String"), ("conversation_id", "String"), ("position", "Int64"),
    ("message_id", "String"), ("parent_id", "String"), ("role", "String"), ("content_type", "String"),
    ("is_hidden", "Boolean"), ("created_epoch", "Float64"), ("text", "String"), ("image_count", "Int32"),
    ("attachment_count", "Int32"), ("message", "String"),
]


def _number(value):
    """JSON for the numbers the reader keeps as Decimal: a float, or null for one no double holds
    (`1e400`), which DuckDB's JSON would not take back as `Infinity`."""
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value) -> str:
    """`value` as JSON text; raises RejectedConversation when it is nested too deeply to write."""
    try:
        return json.dumps(value, ensure_ascii=False, default=_number)
    except RecursionError:
        raise RejectedConversation("nested too deeply to store") from None


def _frame(rows: list[tuple], columns: list[tuple[str, str]]):
    import polars as pl  # only loads that land something pay for it

    return pl.DataFrame(rows, schema={name: getattr(pl, dtype) for name, dtype in columns}, orient="row")


@dataclass
class ExportResult:
    """What one load did with export files."""

    files_seen: int = 0
    files_read: int = 0
    conversations_landed: int = 0
    conversations_unchanged: int = 0
    conversations_rejected: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


class UnknownSourceKind(UsageError):
    """`--source-kind` (or $CHATLAKE_SOURCE_KIND) names no known export kind."""


def parse_kind(value: str | None) -> SourceKind | None:
    """None means detect from the content; raises UnknownSourceKind."""
    if value is None or value.strip() in ("", "auto"):
        return None
    try:
        return SourceKind(value.strip())
    except ValueError:
        choices = ", ".join(k.value for k in SourceKind)
        raise UnknownSourceKind(f"unknown source kind {value!r} (choose auto, {choices})") from None


@dataclass
class ExportPlan:
    """The export files one load reads, and the kind forced on them (None: detect)."""

    todo: list[ExportFile]
    forced: SourceKind | None


def plan_exports(con, roots: list[Path], in_folders: dict, source_kind: str | None,
                 result: ExportResult) -> ExportPlan:
    """Keep the export files (named as roots, or `in_folders` met by the walk) changed since their last load."""
    forced = parse_kind(source_kind)
    files, errors = find_exports(roots, in_folders)
    result.failures.extend(errors)
    rows = con.execute("select source_file, size, mtime_ns, conversations from raw.export_files").fetchall()
    landed = {r[0]: (r[1], r[2]) for r in rows}
    held = {r[0]: r[3] for r in rows}
    todo = []
    for f in files:
        changed = file_changed(f.size, f.mtime_ns, landed.get(f.path))
        # Any other zip in a folder is skipped; only a new or changed one is opened to tell.
        if changed and not f.explicit and f.path.lower().endswith(".zip") and not is_export_zip(f.open_path):
            continue
        result.files_seen += 1
        if changed:
            todo.append(f)
        else:  # not opened: its conversations are the ones its last load kept
            result.conversations_unchanged += held.get(f.path) or 0
    return ExportPlan(todo, forced)


class _Pending:
    """Conversations accepted in this load and not yet written; the latest version of an id wins."""

    def __init__(self) -> None:
        self.conversations: dict[tuple[str, str], tuple] = {}
        self.messages: dict[tuple[str, str], list[tuple]] = {}
        self.rejected: list[tuple] = []
        self.bytes = 0

    def add(self, load_id: int, source_file: str, file_position: int, conv: ExportConversation) -> None:
        """Buffer one conversation; raises RejectedConversation (buffering nothing) when a message
        cannot be stored as JSON."""
        key = (conv.source_kind, conv.conversation_id)
        rows = []
        size = 0
        for m in conv.messages:
            body = to_json(m.message)
            size += len(body) + len(m.text)
            rows.append((load_id, conv.source_kind, conv.conversation_id, m.position, m.message_id, m.parent_id,
                         m.role, m.content_type, m.is_hidden, m.created_at, m.text, m.image_count,
                         m.attachment_count, body))
        self.conversations[key] = (load_id, conv.source_kind, conv.conversation_id, source_file, file_position,
                                   conv.title, conv.created_at, conv.updated_at, len(conv.messages))
        self.messages[key] = rows
        self.bytes += size

    def reject(self, load_id: int, source_file: str, file_position: int, reason: str, value) -> None:
        try:
            head = None if value is None else to_json(value)[:HEAD_CHARS]
        except RejectedConversation:
            head = None
        self.rejected.append((load_id, source_file, file_position, reason, head))

    def flush(self, con) -> None:
        if self.conversations:
            conversations = _frame(list(self.conversations.values()), CONVERSATION_COLUMNS)
            messages = _frame([r for rows in self.messages.values() for r in rows], MESSAGE_COLUMNS)
            with ArrowBatch(con, "chatlake_export_conversations", conversations.to_arrow()) as keys:
                for table in ("raw.export_messages", "raw.export_conversations"):
                    keys.run(f"""
                        delete from {table} as t using chatlake_export_conversations as k
                        where t.source_kind = k.source_kind and t.conversation_id = k.conversation_id
                    """)
                keys.run("insert into raw.export_conversations select * from chatlake_export_conversations")
            with ArrowBatch(con, "chatlake_export_messages", messages.to_arrow()) as batch:
                batch.run("""
                    insert into raw.export_messages
                    select * exclude (message), message::json from chatlake_export_messages
                """)
        if self.rejected:
            con.executemany("insert into raw.rejected_conversations values (?, ?, ?, ?, ?)", self.rejected)
        self.__init__()


def _read_file(con, load_id: int, f: ExportFile, forced: SourceKind | None, landed: dict, pending: _Pending,
               result: ExportResult) -> tuple[str | None, int]:
    """Read every conversation of one export file; returns (its kind, how many conversations it holds).
    Raises NotAnExport (nothing landed) or OSError."""
    file_kind: SourceKind | None = forced
    total = 0
    for source_name, stream in open_sources(f.open_path):
        position = 0
        try:
            for conv in iter_conversations(stream):
                position += 1
                total += 1
                if file_kind is None:
                    file_kind = detect_kind(conv)
                    if file_kind is None:
                        raise NotAnExport("neither a ChatGPT nor a Claude.ai export")
                try:
                    parsed = PARSERS[file_kind](conv)
                    key = (parsed.source_kind, parsed.conversation_id)
                    verdict = judge(landed.get(key, MISSING), parsed.updated_at)
                    if verdict is Verdict.UNCHANGED:
                        result.conversations_unchanged += 1
                        continue
                    pending.add(load_id, source_name, position, parsed)
                except RejectedConversation as exc:
                    pending.reject(load_id, source_name, position, str(exc), conv)
                    continue
                landed[key] = parsed.updated_at
                if pending.bytes >= FLUSH_BYTES:
                    pending.flush(con)
        except ijson.JSONError as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            pending.reject(load_id, source_name, position + 1, f"invalid JSON after conversation {position}: {message}",
                           None)
    return (file_kind.value if file_kind else None), total


def land_exports(con, load_id: int, plan: ExportPlan, result: ExportResult) -> None:
    """Land the conversations of the planned files that are new or updated since they were last landed."""
    landed = {(r[0], r[1]): r[2] for r in con.execute(
        "select source_kind, conversation_id, updated_epoch from raw.export_conversations").fetchall()}
    pending = _Pending()
    states = []
    for f in plan.todo:
        try:
            kind, count = _read_file(con, load_id, f, plan.forced, landed, pending, result)
        except NotAnExport as exc:
            if f.explicit:
                result.failures.append((f.path, str(exc)))
            else:  # a look-alike name in a folder: remember it so it is not read again
                states.append((f.path, f.size, f.mtime_ns, None, 0, load_id, load_id))
            continue
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # unreadable, or a damaged zip member
            result.failures.append((f.path, getattr(exc, "strerror", None) or str(exc)))
            continue
        result.files_read += 1
        con.execute(
            "delete from raw.rejected_conversations where (source_file = ? or starts_with(source_file, ?))"
            " and load_id <> ?", [f.path, f.path + "!", load_id])
        states.append((f.path, f.size, f.mtime_ns, kind, count, load_id, load_id))
    pending.flush(con)
    for state in states:
        con.execute(
            "insert or replace into raw.export_files select ?, ?, ?, ?, ?,"
            " coalesce((select first_load_id from raw.export_files where source_file = ?), ?), ?",
            [*state[:5], state[0], state[5], state[6]])
    result.conversations_landed, result.conversations_rejected = con.execute(
        "select (select count(*) from raw.export_conversations where load_id = $1),"
        " (select count(*) from raw.rejected_conversations where load_id = $1)", [load_id]).fetchone()

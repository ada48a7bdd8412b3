"""Land new transcript lines into `raw.*`, one transaction per load."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import polars as pl

from chatlake.extract.discover import FileStat, discover
from chatlake.extract.lines import RawLine, is_blank, iter_complete_lines, judge, line_end, reject_head
from chatlake.extract.schema import ensure_raw_schema
from chatlake.extract.state import HEAD_BYTES, Action, LandedState, fingerprint, head_matches, plan

# Flush buffered lines to DuckDB once they hold this much text: bounds memory on big trees.
FLUSH_BYTES = 64 << 20

LINE_COLUMNS = [
    "source_file", "byte_offset", "line_no", "record_type", "uuid", "parent_uuid", "session_id",
    "record_timestamp", "is_sidechain", "agent_id", "is_meta", "is_compact_summary",
    "has_tool_use_result", "message_role", "cwd", "git_branch", "claude_version", "line",
]
REJECT_COLUMNS = ["source_file", "line_no", "byte_offset", "reason", "line_head"]

ProgressFn = Callable[[int, int, int, str], None]


@dataclass(frozen=True)
class FileFailure:
    path: str
    error: str


@dataclass
class ExtractResult:
    """What one load did."""

    load_id: int | None = None
    files_seen: int = 0
    files_new: int = 0
    files_appended: int = 0
    files_unchanged: int = 0
    files_rewritten: int = 0
    files_failed: int = 0
    lines_landed: int = 0
    lines_rejected: int = 0
    bytes_read: int = 0
    sessions_touched: int = 0
    failures: list[FileFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the raw layer changed, so the models have something to do."""
        return bool(self.lines_landed or self.lines_rejected or self.files_rewritten)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def key_fields(record: dict[str, Any]) -> tuple:
    """The envelope fields the models filter and join on, leniently typed."""
    message = record.get("message")
    role = _text(message.get("role")) if isinstance(message, dict) else None
    return (
        record["type"],
        _text(record.get("uuid")),
        _text(record.get("parentUuid")),
        _text(record.get("sessionId")),
        _text(record.get("timestamp")),
        record.get("isSidechain") is True,
        _text(record.get("agentId")),
        record.get("isMeta") is True,
        record.get("isCompactSummary") is True,
        record.get("toolUseResult") is not None,
        role,
        _text(record.get("cwd")),
        _text(record.get("gitBranch")),
        _text(record.get("version")),
    )


class _Batch:
    """Column buffers for landed and rejected lines, flushed to DuckDB in bulk."""

    def __init__(self) -> None:
        self.lines: list[tuple] = []
        self.rejects: list[tuple] = []
        self.text_bytes = 0
        self.sessions: set[str] = set()

    def mark(self) -> tuple[int, int]:
        return len(self.lines), len(self.rejects)

    def drop_since(self, mark: tuple[int, int]) -> None:
        del self.lines[mark[0]:]
        del self.rejects[mark[1]:]

    def flush(self, con, load_id: int) -> None:
        if self.lines:
            frame = pl.DataFrame(self.lines, schema=LINE_COLUMNS, orient="row", infer_schema_length=None)
            con.register("chatlake_line_batch", frame.to_arrow())
            con.execute(
                "insert into raw.lines select ?, source_file, byte_offset, line_no, record_type, uuid,"
                " parent_uuid, session_id, record_timestamp, is_sidechain, agent_id, is_meta,"
                " is_compact_summary, has_tool_use_result, message_role, cwd, git_branch,"
                " claude_version, line::json from chatlake_line_batch",
                [load_id],
            )
            con.unregister("chatlake_line_batch")
        if self.rejects:
            frame = pl.DataFrame(self.rejects, schema=REJECT_COLUMNS, orient="row", infer_schema_length=None)
            con.register("chatlake_reject_batch", frame.to_arrow())
            con.execute(
                "insert into raw.rejected_lines select ?, source_file, line_no, byte_offset, reason,"
                " line_head from chatlake_reject_batch",
                [load_id],
            )
            con.unregister("chatlake_reject_batch")
        self.lines.clear()
        self.rejects.clear()
        self.text_bytes = 0


def _read_landed(con) -> dict[str, LandedState]:
    rows = con.execute(
        "select source_file, size, mtime_ns, landed_offset, landed_lines, head_len, head_sha from raw.files"
    ).fetchall()
    return {r[0]: LandedState(*r) for r in rows}


def _land_file(con, batch: _Batch, load_id: int, stat: FileStat, action: Action,
               landed: LandedState | None, result: ExtractResult) -> None:
    """Read one file's new lines into the batch and record its state; raises OSError."""
    path = stat.path
    with open(path, "rb") as stream:
        head = stream.read(HEAD_BYTES)
        if action in (Action.APPENDED, Action.CHECK) and landed is not None and not head_matches(head, landed):
            action = Action.REWRITTEN
        if action is Action.CHECK:
            action = Action.UNCHANGED
        if action is Action.UNCHANGED:
            con.execute("update raw.files set mtime_ns = ? where source_file = ?", [stat.mtime_ns, path])
            result.files_unchanged += 1
            return
        start_offset, start_line = (landed.landed_offset, landed.landed_lines) if action is Action.APPENDED else (0, 0)
        stream.seek(start_offset)
        end_offset, end_line = start_offset, start_line
        for raw in iter_complete_lines(stream, start_offset, start_line):
            end_offset, end_line = line_end(raw), raw.line_no
            _take_line(batch, path, raw, result)
            if batch.text_bytes >= FLUSH_BYTES:
                batch.flush(con, load_id)
        size = max(end_offset, os.fstat(stream.fileno()).st_size)
    result.bytes_read += end_offset - start_offset
    head_len = min(len(head), HEAD_BYTES)
    if action is Action.REWRITTEN:
        # The file was replaced: drop what earlier loads landed from it, after the new
        # copy was read in full, so a failed read keeps the old rows.
        batch.flush(con, load_id)
        con.execute(
            "insert into raw.touched_sessions select distinct ?, session_id from raw.lines"
            " where source_file = ? and load_id <> ? and session_id is not null",
            [load_id, path, load_id],
        )
        con.execute("delete from raw.lines where source_file = ? and load_id <> ?", [path, load_id])
        con.execute("delete from raw.rejected_lines where source_file = ? and load_id <> ?", [path, load_id])
    con.execute(
        "insert or replace into raw.files values (?, ?, ?, ?, ?, ?, ?, coalesce((select first_load_id"
        " from raw.files where source_file = ?), ?), ?)",
        [path, size, stat.mtime_ns, end_offset, end_line, head_len, fingerprint(head[:head_len]),
         path, load_id, load_id],
    )
    if action is Action.NEW:
        result.files_new += 1
    elif action is Action.APPENDED:
        result.files_appended += 1
    else:
        result.files_rewritten += 1


def _take_line(batch: _Batch, path: str, raw: RawLine, result: ExtractResult) -> None:
    if is_blank(raw.data):
        return
    judged = judge(raw.data)
    if judged.reason is not None:
        batch.rejects.append((path, raw.line_no, raw.offset, judged.reason, reject_head(raw.data)))
        result.lines_rejected += 1
        return
    fields = key_fields(judged.record)
    if fields[3] is not None:
        batch.sessions.add(fields[3])
    batch.lines.append((path, raw.offset, raw.line_no, *fields, judged.text))
    batch.text_bytes += len(raw.data)
    result.lines_landed += 1


def extract(con, roots: list[Path], on_progress: ProgressFn | None = None) -> ExtractResult:
    """Land every new complete line under `roots` in one transaction and return the counts.

    The caller owns the connection. Nothing is committed unless the whole load succeeds;
    an interruption rolls back and the next call redoes the same work.
    """
    started = time.monotonic()
    result = ExtractResult()
    stats, walk_errors = discover(roots)
    for path, error in walk_errors:
        result.failures.append(FileFailure(path, error))
    result.files_failed = len(walk_errors)
    result.files_seen = len(stats)

    con.execute("begin transaction")
    try:
        ensure_raw_schema(con)
        landed = _read_landed(con)
        todo = []
        for stat in stats:
            action = plan(stat.size, stat.mtime_ns, landed.get(stat.path))
            if action is Action.UNCHANGED:
                result.files_unchanged += 1
            else:
                todo.append((stat, action))
        if not todo and not walk_errors:
            # Nothing to land: leave no trace, not even a load id.
            con.execute("rollback")
            result.seconds = time.monotonic() - started
            if on_progress:
                on_progress(len(stats), len(stats), 0, "")
            return result

        load_id = con.execute("select coalesce(max(load_id), 0) + 1 from raw.loads").fetchone()[0]
        result.load_id = load_id
        con.execute(
            "insert into raw.loads (load_id, started_at, roots) values (?, now(), ?)",
            [load_id, [str(r) for r in roots]],
        )
        batch = _Batch()
        done = result.files_unchanged
        total = len(stats)
        for stat, action in todo:
            if on_progress:
                on_progress(done, total, result.bytes_read, stat.path)
            mark = batch.mark()
            try:
                _land_file(con, batch, load_id, stat, action, landed.get(stat.path), result)
            except OSError as exc:
                # Unreadable or vanished mid-read: forget this file's part of the load.
                batch.drop_since(mark)
                con.execute("delete from raw.lines where load_id = ? and source_file = ?", [load_id, stat.path])
                con.execute(
                    "delete from raw.rejected_lines where load_id = ? and source_file = ?", [load_id, stat.path]
                )
                result.files_failed += 1
                result.failures.append(FileFailure(stat.path, exc.strerror or str(exc)))
            done += 1
        batch.flush(con, load_id)
        if batch.sessions:
            touched = pl.DataFrame({"session_id": sorted(batch.sessions)}, schema={"session_id": pl.String})
            con.register("chatlake_touched", touched.to_arrow())
            con.execute(
                "insert into raw.touched_sessions select distinct ?, session_id from chatlake_touched", [load_id]
            )
            con.unregister("chatlake_touched")
        result.sessions_touched = con.execute(
            "select count(distinct session_id) from raw.touched_sessions where load_id = ?", [load_id]
        ).fetchone()[0]
        con.execute(
            """
            update raw.loads set finished_at = now(), files_seen = ?, files_new = ?, files_appended = ?,
                files_unchanged = ?, files_rewritten = ?, files_failed = ?, lines_landed = ?,
                lines_rejected = ?, bytes_read = ?
            where load_id = ?
            """,
            [result.files_seen, result.files_new, result.files_appended, result.files_unchanged,
             result.files_rewritten, result.files_failed, result.lines_landed, result.lines_rejected,
             result.bytes_read, load_id],
        )
        con.execute("commit")
    except BaseException:
        try:
            con.execute("rollback")
        except Exception:
            pass
        raise
    if on_progress:
        on_progress(len(stats), len(stats), result.bytes_read, "")
    result.seconds = time.monotonic() - started
    return result

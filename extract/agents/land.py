"""Land Codex CLI and Gemini CLI transcripts in their raw tables, inside the extractor's load.

Codex rollouts and Gemini `.jsonl` logs only grow: they are read from the offset the last load
stopped at, with the same head and tail fingerprints as Claude Code's files (state.py), so a file
that shrank or was rewritten is read again whole and its earlier rows replaced. A Gemini `.json`
document is rewritten whole as its session grows: it is read whole whenever it changed.

A Codex rollout moved to `archived_sessions/` (or back) keeps its name: its rows follow it to the
new path instead of landing a second time, and while both copies exist the active one is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from chatlake.extract.agents import gemini
from chatlake.extract.agents.kinds import CODEX, GEMINI_CLI, is_archived, rollout_name, session_from_name
from chatlake.extract.batch import ArrowBatch
from chatlake.extract.discover import FileStat
from chatlake.extract.escapes import fix_lone_surrogates
from chatlake.extract.lines import (
    REJECT_HEAD_CHARS, decode, is_blank, iter_lines, json_error, line_end, reject_head,
)
from chatlake.extract.writer import Writer
from chatlake.extract.state import (
    HEAD_BYTES, Action, LandedState, fingerprint, head_matches, plan, tail_matches, tail_start,
)

# Hand buffered rows to DuckDB once they hold this much text.
FLUSH_BYTES = 32 << 20

STATE_COLUMNS = {
    "source_file": "varchar", "source": "varchar", "session_id": "varchar", "size": "bigint",
    "mtime_ns": "bigint", "landed_offset": "bigint", "landed_lines": "bigint", "head_len": "bigint",
    "head_sha": "varchar", "tail_sha": "varchar", "first_load_id": "bigint", "last_load_id": "bigint",
}
# The Codex envelope's fields, pulled out with one parse per line (as land.py does for Claude
# Code). Invalid JSON extracts nothing; a line lands when it is a JSON object.
CODEX_PATHS = ["$.type", "$.payload.type", "$.payload.role", "$.timestamp"]
CODEX_LAND_SQL = f"""
insert into raw.codex_lines
select $load_id, source_file, byte_offset, line_no, session_id,
    f[1] ->> '$', f[2] ->> '$', f[3] ->> '$', f[4] ->> '$', line::json
from (select *, try(json_extract(line, {CODEX_PATHS!r})) as f from chatlake_agent_batch)
where f is not null and starts_with(ltrim(line), '{{')
"""
CODEX_REFUSED_SQL = f"""
select source_file, byte_offset, line_no, session_id, line
from (select *, try(json_extract(line, {CODEX_PATHS!r})) as f from chatlake_agent_batch)
where f is null or not starts_with(ltrim(line), '{{')
"""
GEMINI_COLUMNS = ["source_file", "byte_offset", "line_no", "item_index", "session_id", "record_kind",
                  "message_id", "message_type", "record_timestamp", "record"]


@dataclass(frozen=True)
class AgentLanded(LandedState):
    source: str = CODEX
    session_id: str | None = None


@dataclass
class AgentPlan:
    """What one load does with the agent CLIs' files."""

    todo: list[tuple[FileStat, Action, AgentLanded | None]] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)  # (landed path, the path it is found at now)
    unchanged: int = 0
    duplicates: int = 0  # archived copies of an active rollout: the active one is read


def canonical_rollouts(stats: list[FileStat]) -> tuple[list[FileStat], int]:
    """One file per rollout name, the active one before an archived copy; returns them and how many were left out."""
    best: dict[str, FileStat] = {}
    for stat in stats:
        key = rollout_name(stat.path)
        held = best.get(key)
        if held is None or (is_archived(held.path), held.path) > (is_archived(stat.path), stat.path):
            best[key] = stat
    kept = sorted(best.values(), key=lambda s: s.path)
    return kept, len(stats) - len(kept)


def plan_moves(new_paths: list[str], landed: dict[str, AgentLanded], present: set[str]) -> list[tuple[str, str]]:
    """Rollouts found under a path never landed whose name was landed under a path no longer read: moved there."""
    by_name: dict[str, list[str]] = {}
    for path, state in landed.items():
        if state.source == CODEX and path not in present:
            by_name.setdefault(rollout_name(path), []).append(path)
    moves = []
    for path in new_paths:
        old = sorted(by_name.get(rollout_name(path), []))
        if old:
            moves.append((old[0], path))
    return moves


def read_landed(con) -> dict[str, AgentLanded]:
    rows = con.execute(
        "select source_file, size, mtime_ns, landed_offset, landed_lines, head_len, head_sha, first_load_id,"
        " last_load_id, tail_sha, source, session_id from raw.agent_files"
    ).fetchall()
    return {r[0]: AgentLanded(*r) for r in rows}


def plan_agents(con, stats: list[FileStat], rescan: bool = False) -> AgentPlan:
    """Decide from the stats and the landed state what to read; `rescan` reads every file again."""
    result = AgentPlan()
    codex, result.duplicates = canonical_rollouts([s for s in stats if s.kind == CODEX])
    files = codex + [s for s in stats if s.kind == GEMINI_CLI]
    landed = read_landed(con)
    present = {s.path for s in files}
    result.moves = plan_moves([s.path for s in codex if s.path not in landed], landed, present)
    for old, new in result.moves:
        landed[new] = landed.pop(old)
    for stat in files:
        state = landed.get(stat.path)
        action = plan(stat.size, stat.mtime_ns, state)
        if rescan and action is not Action.NEW:
            action = Action.REWRITTEN
        if action is Action.UNCHANGED:
            result.unchanged += 1
        else:
            result.todo.append((stat, action, state))
    return result


@dataclass
class AgentCounts:
    files_new: int = 0
    files_appended: int = 0
    files_unchanged: int = 0
    files_rewritten: int = 0
    files_failed: int = 0
    bytes_read: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


class _Rows:
    """Rows waiting for DuckDB, and the lines refused before DuckDB saw them."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.rows: list[tuple] = []
        self.bad: list[tuple] = []  # (source_file, line_no, byte_offset, reason, line_head)
        self.bytes = 0

    def reject(self, path: str, line_no: int, offset: int, reason: str, data: bytes | str) -> None:
        head = reject_head(data) if isinstance(data, bytes) else data[:REJECT_HEAD_CHARS]
        self.bad.append((path, line_no, offset, reason, head))

    def drop_file(self, path: str) -> None:
        """Forget one file's buffered rows (it failed midway; what was flushed is deleted by the caller)."""
        self.rows = [r for r in self.rows if r[0] != path]
        self.bad = [b for b in self.bad if b[0] != path]

    def flush(self, writer: Writer, load_id: int) -> None:
        """Hand the buffered rows to the load's writer thread, which lands them while the next
        lines are read (DuckDB parses them on both cores, Python reads on one)."""
        if self.rows or self.bad:
            writer.submit(_landing(self.kind, load_id, self.rows, self.bad))
        self.rows, self.bad, self.bytes = [], [], 0


def _landing(kind: str, load_id: int, rows: list[tuple], bad: list[tuple]) -> Callable:
    def job(con) -> None:
        refused = []
        if rows and kind == CODEX:
            refused = _land_codex(con, load_id, rows)
        elif rows:
            with _batch(con, GEMINI_COLUMNS, rows) as batch:
                batch.run(f"insert into raw.gemini_records select {int(load_id)}, * exclude (record),"
                          " record::json from chatlake_agent_batch")
        if bad or refused:
            con.executemany("insert into raw.rejected_lines values (?, ?, ?, ?, ?, ?)",
                            [(load_id, *b) for b in bad + refused])
    return job


def _land_codex(con, load_id: int, rows: list[tuple]) -> list[tuple]:
    """Land Codex lines; returns the refused ones as rejected_lines rows (but the load id)."""
    with _batch(con, ["source_file", "byte_offset", "line_no", "session_id", "line"], rows) as batch:
        landed = batch.run(CODEX_LAND_SQL.replace("$load_id", str(int(load_id))))[0][0]
        refused = [] if landed == len(rows) else batch.run(CODEX_REFUSED_SQL)
    retry, rejected = [], []
    for source_file, offset, line_no, session_id, text in refused:
        fixed = fix_lone_surrogates(text)
        if fixed != text:
            retry.append((source_file, offset, line_no, session_id, fixed))
        else:
            rejected.append((source_file, line_no, offset, refusal(text), text[:REJECT_HEAD_CHARS]))
    if retry:
        rejected += _land_codex(con, load_id, retry)
    return rejected


def refusal(text: str) -> str:
    """Why a line is no record: not JSON, or JSON that is no object."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return json_error(text)
    names = {str: "string", list: "array", bool: "boolean", type(None): "null"}
    return "not a JSON object: " + names.get(type(value), "number")


def _batch(con, names: list[str], rows: list[tuple]) -> ArrowBatch:
    """The rows, as columns `names`, readable as `chatlake_agent_batch`."""
    import pyarrow as pa

    columns = list(zip(*rows))
    return ArrowBatch(con, "chatlake_agent_batch", pa.table({name: list(column) for name, column in zip(names, columns)}))


def is_whole_object(data: bytes) -> bool:
    """True when a last line without a newline is nevertheless a whole JSON object (its writer stopped)."""
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, RecursionError):
        return False


def codex_session_id(first_line: bytes, path: str) -> str:
    """The thread a rollout holds: its first line's `session_meta` id (the older generation's first
    line is the meta itself), else the uuid in its name. A fork copies its parent's meta after its own."""
    try:
        value = json.loads(first_line)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        payload = value.get("payload")
        if value.get("type") == "session_meta" and isinstance(payload, dict) and isinstance(payload.get("id"), str):
            return payload["id"]
        if "payload" not in value and "type" not in value and isinstance(value.get("id"), str):
            return value["id"]
    return session_from_name(path) or path


def _first_line(stream) -> bytes:
    stream.seek(0)
    line = stream.readline()
    return line.lstrip(b"\xef\xbb\xbf").rstrip(b"\r\n")


def _tail(stream, offset: int) -> bytes:
    start = tail_start(offset)
    stream.seek(start)
    return stream.read(offset - start)


def _land_stream(stream, stat: FileStat, action: Action, landed: AgentLanded | None, rows: _Rows,
                 writer: Writer, load_id: int) -> tuple[Action, tuple, int, bool]:
    """Read one growing file's new complete lines into `rows`; returns the action taken, its new
    state row, the bytes read and whether the file's earlier rows are replaced."""
    path = stat.path
    head = stream.read(HEAD_BYTES)
    if action in (Action.APPENDED, Action.CHECK) and landed is not None and not (
            head_matches(head, landed) and tail_matches(_tail(stream, landed.landed_offset), landed)):
        action = Action.REWRITTEN
    if action is Action.CHECK:
        return Action.UNCHANGED, (path, stat.kind, landed.session_id, landed.size, stat.mtime_ns,
                                  landed.landed_offset, landed.landed_lines, landed.head_len, landed.head_sha,
                                  landed.tail_sha, landed.first_load_id, landed.last_load_id), 0, False
    appending = action is Action.APPENDED and landed is not None
    start_offset, start_line = (landed.landed_offset, landed.landed_lines) if appending else (0, 0)
    if appending and landed.session_id:
        session_id = landed.session_id
    elif stat.kind == CODEX:
        session_id = codex_session_id(_first_line(stream), path)
    else:
        session_id = gemini.session_id_of_line(_first_line(stream)) or gemini.session_from_path(path)
    after_unterminated = False
    if appending and start_offset > 0:
        stream.seek(start_offset - 1)
        after_unterminated = stream.read(1) != b"\n"
    stream.seek(start_offset)
    end_offset, end_line = start_offset, start_line
    for raw in iter_lines(stream, start_offset, start_line, after_unterminated=after_unterminated):
        if not raw.terminated and not is_whole_object(raw.data):
            break  # still being written: the next load reads it whole
        end_offset, end_line = line_end(raw), raw.line_no
        if is_blank(raw.data):
            continue
        text, reason = decode(raw.data)
        if reason is not None:
            rows.reject(path, raw.line_no, raw.offset, reason, raw.data)
            continue
        if stat.kind == CODEX:
            rows.rows.append((path, raw.offset, raw.line_no, session_id, text))
        else:
            for item in gemini.line_rows(text, session_id):
                if isinstance(item, str):
                    rows.reject(path, raw.line_no, raw.offset, item, text)
                else:
                    rows.rows.append((path, raw.offset, raw.line_no, *item))
        rows.bytes += len(raw.data)
        if rows.bytes >= FLUSH_BYTES:
            rows.flush(writer, load_id)
    size = stream.tell()
    tail_sha = fingerprint(_tail(stream, end_offset))
    first_load_id = landed.first_load_id if appending else load_id
    state = (path, stat.kind, session_id, size, stat.mtime_ns, end_offset, end_line, len(head), fingerprint(head),
             tail_sha, first_load_id, load_id)
    return action, state, end_offset - start_offset, action is Action.REWRITTEN


def _land_document(stream, stat: FileStat, landed: AgentLanded | None, rows: _Rows,
                   load_id: int) -> tuple[Action, tuple, int, bool]:
    """Read a Gemini `.json` document whole. One that does not parse (caught mid-rewrite, or damaged)
    is rejected with its reason and its earlier rows kept, until it changes again."""
    data = stream.read()
    head = data[:HEAD_BYTES]
    document_rows, reason = gemini.document_rows(data, stat.path)
    action = Action.NEW if landed is None else Action.REWRITTEN
    if reason is not None:
        rows.reject(stat.path, 1, 0, reason, data)
        session_id = landed.session_id if landed else gemini.session_from_path(stat.path)
    else:
        rows.rows.extend((stat.path, 0, 1, *row) for row in document_rows)
        session_id = document_rows[0][1] if document_rows else gemini.session_from_path(stat.path)
    state = (stat.path, stat.kind, session_id, len(data), stat.mtime_ns, len(data), 1, len(head), fingerprint(head),
             None, landed.first_load_id if landed else load_id, load_id)
    return action, state, len(data), reason is None


def _replace_earlier(con, stat: FileStat, load_id: int, rows_too: bool) -> None:
    """A file read again from its start: its earlier rejections go, and its earlier rows when
    `rows_too`; the sessions they held are touched."""
    table = "raw.codex_lines" if stat.kind == CODEX else "raw.gemini_records"
    con.execute(f"insert into raw.touched_sessions select distinct ?, session_id from {table}"
                " where source_file = ? and load_id <> ?", [load_id, stat.path, load_id])
    if rows_too:
        con.execute(f"delete from {table} where source_file = ? and load_id <> ?", [stat.path, load_id])
    con.execute("delete from raw.rejected_lines where source_file = ? and load_id <> ?", [stat.path, load_id])


def _move(con, old: str, new: str, load_id: int) -> None:
    for table in ("raw.agent_files", "raw.codex_lines", "raw.rejected_lines"):
        con.execute(f"update {table} set source_file = ? where source_file = ?", [new, old])
    con.execute("insert into raw.touched_sessions select distinct ?, session_id from raw.codex_lines"
                " where source_file = ?", [load_id, new])


def land_agents(con, load_id: int, agent_plan: AgentPlan, counts: AgentCounts,
                on_file: Callable[[str, int], None] | None = None) -> None:
    """Land the planned files' new records; OSError on one file forgets that file's part of the load."""
    for old, new in agent_plan.moves:
        _move(con, old, new, load_id)
    counts.files_unchanged += agent_plan.unchanged + agent_plan.duplicates
    states = []
    codex_rows, gemini_rows = _Rows(CODEX), _Rows(GEMINI_CLI)
    writer = Writer(con)
    try:
        for stat, action, landed in agent_plan.todo:
            if on_file:
                on_file(stat.path, counts.bytes_read)
            rows = codex_rows if stat.kind == CODEX else gemini_rows
            try:
                with open(stat.open_path, "rb") as stream:
                    if stat.kind == GEMINI_CLI and stat.path.endswith(".json"):
                        taken, state, read, replace = _land_document(stream, stat, landed, rows, load_id)
                    else:
                        taken, state, read, replace = _land_stream(stream, stat, action, landed, rows, writer, load_id)
            except OSError as exc:
                rows.drop_file(stat.path)
                writer.submit(_forget_file(stat.path, load_id))
                counts.files_failed += 1
                counts.failures.append((stat.path, exc.strerror or str(exc)))
                continue
            counts.bytes_read += read
            states.append(state)
            if taken is Action.REWRITTEN:
                rows.flush(writer, load_id)
                writer.submit(lambda con, stat=stat, replace=replace: _replace_earlier(con, stat, load_id, replace))
            counts.files_new += taken is Action.NEW
            counts.files_appended += taken is Action.APPENDED
            counts.files_unchanged += taken is Action.UNCHANGED
            counts.files_rewritten += taken is Action.REWRITTEN
        codex_rows.flush(writer, load_id)
        gemini_rows.flush(writer, load_id)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    _write_states(con, states)
    for table in ("raw.codex_lines", "raw.gemini_records"):
        con.execute(f"insert into raw.touched_sessions select distinct load_id, session_id from {table}"
                    " where load_id = ?", [load_id])


def _forget_file(path: str, load_id: int) -> Callable:
    """A job that deletes what one file (unreadable midway) landed in this load."""
    def job(con) -> None:
        for table in ("raw.codex_lines", "raw.gemini_records", "raw.rejected_lines"):
            con.execute(f"delete from {table} where load_id = ? and source_file = ?", [load_id, path])
    return job


def _write_states(con, states: list[tuple]) -> None:
    if not states:
        return
    columns = [list(column) for column in zip(*states)]
    con.execute(
        "insert or replace into raw.agent_files select "
        + ", ".join(f"unnest(${i}::{t}[])" for i, t in enumerate(STATE_COLUMNS.values(), start=1)),
        columns,
    )


def rows_landed(con, load_id: int) -> int:
    """Rows this load added to the agent CLIs' tables."""
    return con.execute("select (select count(*) from raw.codex_lines where load_id = $1)"
                       " + (select count(*) from raw.gemini_records where load_id = $1)", [load_id]).fetchone()[0]

"""Land new transcript lines into `raw.*`, one transaction per load.

Python reads files and cuts complete lines; DuckDB (multi-threaded, in a writer thread
that overlaps with the reading) validates each line as a JSON object with a `type`,
pulls out the envelope fields and stores the line as JSON.
"""

from __future__ import annotations

import duckdb
import os
import time
from datetime import datetime, timezone
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from chatlake.extract.agents.kinds import CLAUDE_CODE
from chatlake.extract.agents.land import AgentCounts, land_agents, plan_agents, rows_landed
from chatlake.extract import loads
from chatlake.extract.batch import ArrowBatch
from chatlake.extract.writer import Writer
from chatlake.extract.loads import LoadCounts
from chatlake.extract.discover import FileStat, Walk, source_name, walk_roots
from chatlake.extract.exports.land import ExportResult, land_exports, plan_exports
from chatlake.extract.escapes import fix_lone_surrogates
from chatlake.extract.lines import (
    REJECT_HEAD_CHARS, decode, is_blank, is_complete_record, iter_lines, json_error, line_end, reject_head,
)
from chatlake.extract.schema import ensure_raw_schema
from chatlake.extract.state import (
    HEAD_BYTES, Action, LandedState, fingerprint, head_matches, plan, tail_matches, tail_start,
)

if TYPE_CHECKING:
    import polars as pl

# Hand buffered lines to DuckDB once they hold this much text: bounds memory on big trees.
FLUSH_BYTES = 32 << 20
# DuckDB's buffer pool during a load. Its default (80% of RAM) lets a big first import grow
# past 2 GB: DuckDB holds the row group being filled on each inserting thread (122,880 lines of
# several KB each) besides the pool. With this cap it spills instead (see BENCHMARKS.md).
LOAD_MEMORY_MB = 512
LOAD_MEMORY_LIMIT = f"{LOAD_MEMORY_MB}MB"
# A batch this small goes to DuckDB as list parameters instead of a polars frame: an append of a
# few lines does not pay for importing polars and pyarrow (about 0.35 s of a short import).
SMALL_BATCH_LINES = 4096
SMALL_BATCH_BYTES = 8 << 20
# A line longer than this lands alone, under a memory limit sized for it: DuckDB's JSON parser
# asks for several times a line's size in one piece, so a 50 MB line (a pasted image, a
# `progress` record holding an agent's context) does not fit in LOAD_MEMORY_LIMIT, and an
# out-of-memory error aborts the load's whole transaction.
HUGE_LINE_BYTES = 4 << 20
# Memory a lone huge line may use, as a multiple of its size: 20x was the least that landed
# lines of 50, 100 and 200 MB (BENCHMARKS.md); the rest is margin.
HUGE_LINE_MEMORY_FACTOR = 32
# The share of this machine's memory a lone huge line may use; a longer line is rejected.
HUGE_LINE_MEMORY_SHARE = 0.5

# raw.files' columns, in order, with their types.
STATE_COLUMNS = {
    "source_file": "varchar", "size": "bigint", "mtime_ns": "bigint", "landed_offset": "bigint",
    "landed_lines": "bigint", "head_len": "bigint", "head_sha": "varchar", "first_load_id": "bigint",
    "last_load_id": "bigint", "tail_sha": "varchar",
}
# Envelope fields pulled out of each line, in raw.lines column order after record_type, plus
# `toolUseResult` (only tested for presence). One json_extract parses a line once for all of
# them; a value comes back as JSON text, so `"user"` is a string and `5` or `{...}` are not.
ENVELOPE_PATHS = [
    "$.type", "$.uuid", "$.parentUuid", "$.sessionId", "$.timestamp", "$.isSidechain", "$.agentId",
    "$.isMeta", "$.isCompactSummary", "$.message.role", "$.cwd", "$.gitBranch", "$.version",
    "$.toolUseResult",
]
# Each line of the batch with its envelope: invalid JSON, or JSON that is not an object,
# extracts nothing (try() turns the parse error into NULL). try() redoes a failing chunk row by
# row (about 14 us a line), which only batches holding invalid lines pay; a json_valid() guard
# would spare them that but parse every valid line twice (0.26 -> 0.47 s per 150,000 lines).
ENVELOPED = f"""(
    select *, try(json_extract(line, {ENVELOPE_PATHS!r})) as f
    from chatlake_line_batch
)"""
# The same for the second look at a batch that did not land whole: there the guard pays.
ENVELOPED_GUARDED = f"""(
    select *, try(json_extract(case when json_valid(line) then line end, {ENVELOPE_PATHS!r})) as f
    from chatlake_line_batch
)"""
# A line is a record when it is a JSON object with a non-empty string `type`.
IS_RECORD = """coalesce(f[1] like '"%' and f[1] <> '""', false)"""


def _text(i: int) -> str:
    return f"(f[{i}] ->> '$')"


def _flag(i: int) -> str:
    return f"coalesce(f[{i}] = 'true', false)"


LAND_SQL = f"""
insert into raw.lines
select $load_id, source_file, byte_offset, line_no,
    {_text(1)}, {_text(2)}, {_text(3)}, {_text(4)}, {_text(5)}, {_flag(6)}, {_text(7)}, {_flag(8)},
    {_flag(9)}, coalesce(f[14] <> 'null', false),
    {_text(10)}, {_text(11)}, {_text(12)}, {_text(13)}, line::json
from {ENVELOPED}
where {IS_RECORD}
"""
# Why the lines that did not land were refused (only asked when a batch did not land whole).
REJECT_SQL = f"""
select source_file, line_no, byte_offset,
    case
        when not json_valid(line) then 'invalid JSON'
        when json_type(line) <> 'OBJECT' then 'not a JSON object: ' || case json_type(line)
            when 'VARCHAR' then 'string' when 'ARRAY' then 'array' when 'BOOLEAN' then 'boolean'
            when 'NULL' then 'null' else 'number' end
        else 'missing type'
    end as reason,
    line
from {ENVELOPED_GUARDED}
where not {IS_RECORD}
"""
ProgressFn = Callable[[int, int, int, str], None]


@dataclass(frozen=True)
class FileFailure:
    path: str
    error: str


@dataclass
class ExtractResult(LoadCounts):
    """What one load did."""

    load_id: int | None = None
    bytes_read: int = 0
    failures: list[FileFailure] = field(default_factory=list)
    seconds: float = 0.0
    exports: ExportResult = field(default_factory=ExportResult)

    @property
    def changed(self) -> bool:
        """True when the raw layer changed, so the models have something to do."""
        return bool(self.lines_landed or self.lines_rejected or self.files_rewritten
                    or self.exports.conversations_landed or self.exports.conversations_rejected)


def physical_memory() -> int:
    """Bytes of memory this machine has (0 when the platform does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def huge_line_memory(size: int, machine_memory: int) -> int | None:
    """The DuckDB memory limit to land a line of `size` bytes alone, or None when the line
    needs more than this machine may give it (it is then rejected, and the rest lands)."""
    needed = max(LOAD_MEMORY_MB << 20, size * HUGE_LINE_MEMORY_FACTOR)
    if machine_memory and needed > machine_memory * HUGE_LINE_MEMORY_SHARE:
        return None
    return needed


def too_large_reason(size: int, machine_memory: int) -> str:
    most = int(machine_memory * HUGE_LINE_MEMORY_SHARE / HUGE_LINE_MEMORY_FACTOR)
    return f"line too large to land: {_mib(size)} (this machine lands lines up to {_mib(most)})"


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def _land_batch(load_id: int, lines: pl.DataFrame | list[list], bad: list[tuple],
                memory_limit: int | None = None) -> Callable:
    """A job landing one batch of lines: a polars frame, or for a small batch the four columns
    as lists (source_file, byte_offset, line_no, line). `memory_limit` (bytes) replaces
    LOAD_MEMORY_LIMIT while the batch lands."""
    def job(con) -> None:
        rejects = list(bad)
        if memory_limit is not None:
            con.execute(f"set memory_limit = '{memory_limit // (1 << 20)}MB'")
        try:
            retry = _land_lines(con, load_id, lines, rejects)
            if retry[0]:
                _land_lines(con, load_id, retry, rejects)
        finally:
            if memory_limit is not None:
                con.execute(f"set memory_limit = '{LOAD_MEMORY_LIMIT}'")
        if rejects:
            _insert_rejects(con, load_id, rejects)
    return job


def _insert_rejects(con, load_id: int, rejects: list[tuple]) -> None:
    """One statement for all of them: executemany costs about a millisecond a row, list parameters
    about 15 us, an Arrow table a third of that (worth importing pyarrow for only when many)."""
    columns = [list(column) for column in zip(*rejects)]
    if len(rejects) <= SMALL_BATCH_LINES:
        con.execute(
            "insert into raw.rejected_lines select $1, unnest($2::varchar[]), unnest($3::bigint[]),"
            " unnest($4::bigint[]), unnest($5::varchar[]), unnest($6::varchar[])",
            [load_id, *columns],
        )
        return
    import pyarrow as pa

    names = ("source_file", "line_no", "byte_offset", "reason", "line_head")
    with ArrowBatch(con, "chatlake_rejects", pa.table(dict(zip(names, columns)))) as batch:
        batch.run(f"insert into raw.rejected_lines select {int(load_id)}, * from chatlake_rejects")


def _land_lines(con, load_id: int, lines: pl.DataFrame | list[list], rejects: list[tuple]) -> list[list]:
    """Land what DuckDB accepts and add why the others did not land to `rejects`; returns, as
    columns, the refused lines that hold lone surrogate escapes, with those replaced, to try again."""
    retry: list[list] = [[], [], [], []]
    rows = len(lines[0]) if isinstance(lines, list) else lines.height
    if not rows:
        return retry
    batch = _line_batch(con, lines)
    try:
        landed = batch.run(LAND_SQL.replace("$load_id", str(int(load_id))))[0][0]
        # Only a batch with a line that did not land needs the second look for reasons.
        bad_lines = [] if landed == rows else batch.run(REJECT_SQL)
    finally:
        batch.close()
    for source_file, line_no, offset, reason, text in bad_lines:
        if reason == "invalid JSON":
            fixed = fix_lone_surrogates(text)
            if fixed != text:
                for column, value in zip(retry, (source_file, offset, line_no, fixed)):
                    column.append(value)
                continue
            reason = json_error(text)
        rejects.append((source_file, line_no, offset, reason, text[:REJECT_HEAD_CHARS]))
    return retry


def _line_batch(con, lines) -> ArrowBatch | _SmallBatch:
    """The batch (not empty) readable as `chatlake_line_batch`."""
    if isinstance(lines, list):
        con.execute(
            "create or replace temporary table chatlake_line_batch as select"
            " unnest($1::varchar[]) as source_file, unnest($2::bigint[]) as byte_offset,"
            " unnest($3::bigint[]) as line_no, unnest($4::varchar[]) as line",
            lines,
        )
        return _SmallBatch(con)
    return ArrowBatch(con, "chatlake_line_batch", lines.to_arrow())


class _SmallBatch:
    """A few lines, as a temporary table (no pyarrow import for an append of a few lines)."""

    def __init__(self, con) -> None:
        self._con = con

    def run(self, sql: str) -> list[tuple]:
        return self._con.execute(sql).fetchall()

    def close(self) -> None:
        self._con.execute("drop table if exists chatlake_line_batch")


class _Buffer:
    """Complete lines waiting to be handed to the writer."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.offsets: list[int] = []
        self.line_nos: list[int] = []
        self.texts: list[str] = []
        self.bad: list[tuple] = []  # lines rejected before DuckDB sees them (not UTF-8)
        self.text_bytes = 0

    def drop_file(self, path: str) -> None:
        """Forget the buffered lines of one file (it failed midway; what was already handed
        over is deleted by `_forget_file`)."""
        keep = [i for i, f in enumerate(self.files) if f != path]
        if len(keep) < len(self.files):
            for name in ("files", "offsets", "line_nos", "texts"):
                column = getattr(self, name)
                setattr(self, name, [column[i] for i in keep])
            self.text_bytes = sum(len(t) for t in self.texts)
        self.bad = [b for b in self.bad if b[0] != path]

    def take(self, path: str, offset: int, line_no: int, data: bytes) -> None:
        if is_blank(data):
            return
        text, reason = decode(data)
        if reason is not None:
            self.bad.append((path, line_no, offset, reason, reject_head(data)))
            return
        self.files.append(path)
        self.offsets.append(offset)
        self.line_nos.append(line_no)
        self.texts.append(text)
        self.text_bytes += len(data)

    def take_huge(self, writer: Writer, load_id: int, path: str, offset: int, line_no: int,
                  data: bytes, machine_memory: int) -> None:
        """Land a line over HUGE_LINE_BYTES in a batch of its own, or reject it if it is too
        large for this machine."""
        self.hand_over(writer, load_id)
        memory = huge_line_memory(len(data), machine_memory)
        if memory is None:
            self.bad.append((path, line_no, offset, too_large_reason(len(data), machine_memory),
                             reject_head(data)))
            return
        self.take(path, offset, line_no, data)
        self.hand_over(writer, load_id, memory_limit=memory)

    def hand_over(self, writer: Writer, load_id: int, memory_limit: int | None = None) -> None:
        if not self.texts and not self.bad:
            return
        if len(self.texts) <= SMALL_BATCH_LINES and self.text_bytes <= SMALL_BATCH_BYTES:
            lines = [self.files, self.offsets, self.line_nos, self.texts]
        else:
            import polars as pl  # here, not at the top: a run with nothing new never pays for it
            lines = pl.DataFrame(
                {"source_file": self.files, "byte_offset": self.offsets, "line_no": self.line_nos, "line": self.texts},
                schema={"source_file": pl.String, "byte_offset": pl.Int64, "line_no": pl.Int64, "line": pl.String},
            )
        writer.submit(_land_batch(load_id, lines, self.bad, memory_limit))
        self.__init__()


def _read_landed(con) -> dict[str, LandedState]:
    rows = con.execute(
        "select source_file, size, mtime_ns, landed_offset, landed_lines, head_len, head_sha, first_load_id,"
        " last_load_id, tail_sha from raw.files"
    ).fetchall()
    return {r[0]: LandedState(*r) for r in rows}


def _drop_replaced(path: str, load_id: int) -> Callable:
    """A rewritten file's earlier rows go, once its new copy was read in full."""
    def job(con) -> None:
        loads.touch_replaced(con, load_id, path)
        con.execute("delete from raw.lines where source_file = ? and load_id <> ?", [path, load_id])
        con.execute("delete from raw.rejected_lines where source_file = ? and load_id <> ?", [path, load_id])
    return job


def _forget_file(path: str, load_id: int) -> Callable:
    def job(con) -> None:
        con.execute("delete from raw.lines where load_id = ? and source_file = ?", [load_id, path])
        con.execute("delete from raw.rejected_lines where load_id = ? and source_file = ?", [load_id, path])
    return job


def _land_file(writer: Writer, buffer: _Buffer, states: list[tuple], load_id: int, stat: FileStat,
               action: Action, landed: LandedState | None, result: ExtractResult) -> None:
    """Read one file's new complete lines into the buffer and note its state; raises OSError."""
    path = stat.path
    with open(stat.open_path, "rb") as stream:
        head = stream.read(HEAD_BYTES)
        if action in (Action.APPENDED, Action.CHECK) and landed is not None and not (
                head_matches(head, landed) and tail_matches(_tail(stream, landed.landed_offset), landed)):
            action = Action.REWRITTEN
        if action is Action.CHECK:
            states.append((path, landed.size, stat.mtime_ns, landed.landed_offset, landed.landed_lines,
                           landed.head_len, landed.head_sha, landed.first_load_id, landed.last_load_id,
                           landed.tail_sha))
            result.files_unchanged += 1
            return
        start_offset, start_line = (landed.landed_offset, landed.landed_lines) if action is Action.APPENDED else (0, 0)
        after_unterminated = False
        if action is Action.APPENDED and start_offset > 0:
            stream.seek(start_offset - 1)
            after_unterminated = stream.read(1) != b"\n"
        stream.seek(start_offset)
        end_offset, end_line = start_offset, start_line
        for raw in iter_lines(stream, start_offset, start_line, after_unterminated=after_unterminated):
            if not raw.terminated and not is_complete_record(raw.data):
                break  # still being written: the next load reads it whole
            end_offset, end_line = line_end(raw), raw.line_no
            if len(raw.data) > HUGE_LINE_BYTES:
                buffer.take_huge(writer, load_id, path, raw.offset, raw.line_no, raw.data, physical_memory())
                continue
            buffer.take(path, raw.offset, raw.line_no, raw.data)
            if buffer.text_bytes >= FLUSH_BYTES:
                buffer.hand_over(writer, load_id)
        # The size is what the reader saw up to its end of file, not a later stat: bytes written
        # after that read make the file bigger than recorded, so the next load reads them.
        size = stream.tell()
        tail_sha = fingerprint(_tail(stream, end_offset))
    result.bytes_read += end_offset - start_offset
    if action is Action.REWRITTEN:
        buffer.hand_over(writer, load_id)
        writer.submit(_drop_replaced(path, load_id))
    first_load_id = landed.first_load_id if landed is not None and action is Action.APPENDED else load_id
    head_len = len(head)
    states.append((path, size, stat.mtime_ns, end_offset, end_line, head_len, fingerprint(head),
                   first_load_id, load_id, tail_sha))
    if action is Action.NEW:
        result.files_new += 1
    elif action is Action.APPENDED:
        result.files_appended += 1
    else:
        result.files_rewritten += 1


def _tail(stream, landed_offset: int) -> bytes:
    """The fingerprinted bytes just before `landed_offset` (state.TAIL_BYTES)."""
    start = tail_start(landed_offset)
    stream.seek(start)
    return stream.read(landed_offset - start)


def _write_states(con, states: list[tuple]) -> None:
    if not states:
        return
    columns = [list(column) for column in zip(*states)]
    con.execute(
        "insert or replace into raw.files select "
        + ", ".join(f"unnest(${i}::{t}[])" for i, t in enumerate(STATE_COLUMNS.values(), start=1)),
        columns,
    )


def _land_agents(con, load_id: int, agent_plan, result: ExtractResult, on_progress: ProgressFn | None,
                 done: int, total: int) -> None:
    """Land the agent CLIs' files and add what they did to the load's counts."""
    counts = AgentCounts()
    progress = None
    if on_progress:
        def progress(path: str, bytes_read: int) -> None:
            on_progress(done + counts.files_new + counts.files_appended + counts.files_rewritten
                        + counts.files_unchanged + counts.files_failed, total, result.bytes_read + bytes_read, path)
    land_agents(con, load_id, agent_plan, counts, progress)
    result.files_new += counts.files_new
    result.files_appended += counts.files_appended
    result.files_unchanged += counts.files_unchanged
    result.files_rewritten += counts.files_rewritten
    result.files_failed += counts.files_failed
    result.bytes_read += counts.bytes_read
    result.failures.extend(FileFailure(path, error) for path, error in counts.failures)


def extract(con, roots: list[Path], on_progress: ProgressFn | None = None,
            source_kind: str | None = None, walk: Walk | None = None,
            on_load: Callable[[], None] | None = None, rescan: bool = False) -> ExtractResult:
    """Land every new complete line under `roots` in one transaction and return the counts.

    Export files among the roots (ChatGPT, Claude.ai; `source_kind` forces their kind) land in
    the same transaction. The caller owns the connection. Nothing is committed unless the whole load succeeds;
    an interruption rolls back and the next call redoes the same work. `walk` is a walk of the
    same roots the caller has just made (the roots are walked here otherwise); `on_load` is
    called once, before anything is read, when there is something to land. `rescan` reads every
    landed file again from its start and replaces its lines, for changes its size, mtime and
    fingerprints cannot show.
    """
    started = time.monotonic()
    result = ExtractResult()
    # DuckDB's now() is the transaction's start: wall-clock times come from Python.
    wall_started = datetime.now(timezone.utc)
    walk = walk or walk_roots(roots)
    stats, walk_errors, export_candidates = walk.stats, walk.errors, walk.exports
    for path, error in walk_errors:
        result.failures.append(FileFailure(path, error))
    result.files_failed = len(walk_errors)
    result.files_seen = len(stats)

    memory_limit, compression = con.execute(
        "select current_setting('memory_limit'), current_setting('force_compression')").fetchone()
    con.execute(f"set memory_limit = '{LOAD_MEMORY_LIMIT}'")
    # The raw lines are most of the warehouse and JSON compresses well: zstd keeps them at about a
    # sixth of DuckDB's own choice (FSST or none), for a fifth more landing time. DuckDB compresses
    # when it writes a row group (at commit for a large load, at checkpoint for a small one): the
    # setting holds until `_extract` has checkpointed.
    con.execute("set force_compression = 'zstd'")
    try:
        return _extract(con, roots, stats, walk_errors, export_candidates, result, started, wall_started,
                        on_progress, source_kind, on_load, rescan)
    finally:
        try:
            con.execute(f"set memory_limit = '{memory_limit}'")
            con.execute(f"set force_compression = '{compression}'")
        except Exception:  # the connection is being torn down by an interruption
            pass


def _extract(con, roots, stats, walk_errors, export_candidates, result: ExtractResult, started: float,
             wall_started: datetime,
             on_progress: ProgressFn | None, source_kind: str | None = None,
             on_load: Callable[[], None] | None = None, rescan: bool = False) -> ExtractResult:
    con.execute("begin transaction")
    writer: Writer | None = None
    try:
        ensure_raw_schema(con)
        landed = _read_landed(con)
        export_plan = plan_exports(con, roots, export_candidates, source_kind, result.exports)
        # Codex's and Gemini CLI's files land in their own tables, in this same transaction.
        agent_plan = plan_agents(con, [s for s in stats if s.kind != CLAUDE_CODE], rescan)
        todo = []
        for stat in stats:
            if stat.kind != CLAUDE_CODE:
                continue
            action = plan(stat.size, stat.mtime_ns, landed.get(stat.path))
            if rescan and action is not Action.NEW:
                action = Action.REWRITTEN
            if action is Action.UNCHANGED:
                result.files_unchanged += 1
            else:
                todo.append((stat, action))
        if not todo and not export_plan.todo and not result.exports.failures and not agent_plan.todo \
                and not agent_plan.moves:
            # Nothing to land: leave no trace, not even a load id. Unreadable places the walk met
            # are in the result's failures; they change nothing in the warehouse.
            con.execute("rollback")
            result.seconds = time.monotonic() - started
            result.files_unchanged += agent_plan.unchanged + agent_plan.duplicates
            if on_progress:
                on_progress(len(stats), len(stats), 0, "")
            return result
        if on_load:
            on_load()

        load_id = loads.open_load(con, wall_started, [source_name(str(r)) for r in roots])
        result.load_id = load_id
        writer = Writer(con)
        buffer = _Buffer()
        states: list[tuple] = []
        done = result.files_unchanged
        total = len(stats)
        for stat, action in todo:
            if on_progress:
                on_progress(done, total, result.bytes_read, stat.path)
            try:
                _land_file(writer, buffer, states, load_id, stat, action, landed.get(stat.path), result)
            except OSError as exc:
                # Unreadable or vanished mid-read: forget this file's part of the load.
                buffer.drop_file(stat.path)
                writer.submit(_forget_file(stat.path, load_id))
                result.files_failed += 1
                result.failures.append(FileFailure(stat.path, exc.strerror or str(exc)))
            done += 1
        buffer.hand_over(writer, load_id)
        writer.finish()
        writer = None
        _write_states(con, states)
        _land_agents(con, load_id, agent_plan, result, on_progress, done, total)
        land_exports(con, load_id, export_plan, result.exports)
        result.files_failed += len(result.exports.failures)
        result.failures.extend(FileFailure(path, error) for path, error in result.exports.failures)
        loads.touch_sessions(con, load_id)
        result.lines_landed, result.lines_rejected, result.sessions_touched = con.execute(
            "select (select count(*) from raw.lines where load_id = $1),"
            " (select count(*) from raw.rejected_lines where load_id = $1),"
            " (select count(distinct session_id) from raw.touched_sessions where load_id = $1)",
            [load_id],
        ).fetchone()
        result.lines_landed += rows_landed(con, load_id)
        loads.close_load(con, load_id, {
            "files_seen": result.files_seen, "files_new": result.files_new, "files_appended": result.files_appended,
            "files_unchanged": result.files_unchanged, "files_rewritten": result.files_rewritten,
            "files_failed": result.files_failed, "lines_landed": result.lines_landed,
            "lines_rejected": result.lines_rejected, "bytes_read": result.bytes_read})
        con.execute("commit")
        try:
            con.execute("checkpoint")  # now, while zstd is forced (see `extract`), not at close
        except duckdb.TransactionException:  # inside a plain `dbt build`, another node is writing:
            pass  # the load is committed, and DuckDB checkpoints later
    except BaseException:
        if writer is not None:
            writer.abandon()
        try:
            con.execute("rollback")
        except Exception:
            pass
        raise
    if on_progress:
        on_progress(len(stats), len(stats), result.bytes_read, "")
    result.seconds = time.monotonic() - started
    return result

"""The record of loads: `raw.loads` (one row per load, with its counts) and `raw.touched_sessions`
(which sessions each load changed). This module is the one writer of both tables."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone


@dataclass
class LoadCounts:
    """The counts of one load, as `raw.loads` keeps them and an import's summary reports them."""

    files_seen: int = 0
    files_new: int = 0
    files_appended: int = 0
    files_unchanged: int = 0
    files_rewritten: int = 0
    files_failed: int = 0
    lines_landed: int = 0
    lines_rejected: int = 0
    sessions_touched: int = 0

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(LoadCounts)}


def open_load(con, started: datetime, roots: list[str]) -> int:
    """A new load's row, in the load's transaction; returns its id."""
    load_id = con.execute("select coalesce(max(load_id), 0) + 1 from raw.loads").fetchone()[0]
    con.execute("insert into raw.loads (load_id, started_at, roots) values (?, ?, ?)", [load_id, started, roots])
    return load_id


def touch_replaced(con, load_id: int, source_file: str) -> None:
    """Before a rewritten file's earlier rows go: their sessions change too."""
    con.execute(
        "insert into raw.touched_sessions select distinct ?, session_id from raw.lines"
        " where source_file = ? and load_id <> ? and session_id is not null",
        [load_id, source_file, load_id],
    )


def touch_sessions(con, load_id: int) -> None:
    """The sessions this load changed: by their own new lines, by a new `summary` record that points at
    one of their messages (it may become the title), and the export conversations it landed."""
    con.execute(
        "insert into raw.touched_sessions select distinct load_id, session_id from raw.lines"
        " where load_id = ? and session_id is not null",
        [load_id],
    )
    # A summary has no sessionId. Only sessions landed by earlier loads need this lookup, which
    # reads the JSON of the load's summary records (scattered through a first import, that is every line).
    if con.execute("select count(*) > 0 from raw.lines where load_id < ?", [load_id]).fetchone()[0]:
        con.execute(
            """
            insert into raw.touched_sessions
            select distinct $1, session_id from raw.lines
            where load_id < $1 and session_id is not null and uuid in (
                select line ->> 'leafUuid' from raw.lines where load_id = $1 and record_type = 'summary'
            )
            and session_id not in (select session_id from raw.touched_sessions where load_id = $1)
            """,
            [load_id],
        )
    con.execute(
        "insert into raw.touched_sessions select distinct load_id, conversation_id from raw.export_conversations"
        " where load_id = ?", [load_id])


def close_load(con, load_id: int, counts: dict[str, int]) -> None:
    """The load's counts, at the end of its transaction."""
    columns = ", ".join(f"{name} = ?" for name in counts)
    con.execute(f"update raw.loads set finished_at = ?, {columns} where load_id = ?",
                [datetime.now(timezone.utc), *counts.values(), load_id])


def finish_load(con, load_id: int) -> None:
    """After the load's dbt build: its duration includes the build."""
    con.execute("update raw.loads set finished_at = ? where load_id = ?", [datetime.now(timezone.utc), load_id])

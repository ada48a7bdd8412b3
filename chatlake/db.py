"""Open the DuckDB file, turning lock conflicts into a typed error."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from chatlake.errors import ChatlakeError, DatabaseLocked

if TYPE_CHECKING:
    import duckdb

_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def lock_message(path: Path, error: Exception) -> str:
    """One line naming the process that holds the lock, from DuckDB's error text."""
    text = str(error)
    match = _LOCK_HOLDER.search(text)
    holder = f"process {match.group(1)}" if match else "another process"
    cmd = _process_name(match.group(1)) if match else None
    if cmd:
        holder += f" ({cmd})"
    return f"{path} is in use by {holder}; wait for it to finish or pass --wait"


def _process_name(pid: str) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    parts = [p for p in raw.decode(errors="replace").split("\0") if p]
    return " ".join(Path(parts[0]).name.split() + parts[1:3]) if parts else None


def is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower() and "conflicting" in str(error).lower() or "Could not set lock" in str(error)


def connect(path: Path, read_only: bool = False, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse; wait up to `wait` seconds for a lock, then raise DatabaseLocked."""
    import duckdb  # here, not at the top: an import with nothing to do never opens the warehouse

    path = Path(path)
    if read_only and not path.exists():
        raise ChatlakeError(f"{path} does not exist yet; run `chatlake import` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # DuckDB's own progress bar writes to stdout (and would corrupt --json output)
            con.execute("set enable_progress_bar = false")
            return con
        except duckdb.IOException as exc:
            if not is_lock_error(exc):
                raise ChatlakeError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseLocked(lock_message(path, exc)) from exc
            time.sleep(0.25)


def table_exists(con, schema: str, name: str) -> bool:
    """True when `schema.name` is a table in the open warehouse (duckdb_tables() is a cheap catalog
    lookup; information_schema costs tens of milliseconds a query)."""
    return bool(con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name],
    ).fetchone()[0])

"""Open the DuckDB file, turning lock conflicts into a typed error."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from chatlake.core.errors import BadDatabasePath, ChatlakeError, DatabaseLocked

if TYPE_CHECKING:
    import duckdb

_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def lock_message(path: Path, error: Exception | str) -> str:
    """One line naming the process that holds the lock, from DuckDB's error text (or a PID)."""
    text = str(error)
    match = _LOCK_HOLDER.search(text) or re.fullmatch(r"(\d+)", text)
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
    # one line, however the holder was started (`python -c` with a multi-line program)
    return " ".join(" ".join([Path(parts[0]).name, *parts[1:3]]).split())[:80] if parts else None


def is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower() and "conflicting" in str(error).lower() or "Could not set lock" in str(error)


# An import closes the warehouse between its landing and its build (dbt opens it itself, maybe
# in another process); DuckDB's own lock is free for that moment. This advisory lock, beside the
# warehouse, is held by an import from its landing through its build: every open through
# `connect` waits for it (or names its holder), so no other chatlake command slips in between.
_held: dict[Path, int] = {}


def lock_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.lock")


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def _flock(fd: int, path: Path, mode: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise DatabaseLocked(lock_message(path, _holder(fd)))
        time.sleep(0.25)


@contextmanager
def warehouse_lock(path: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's advisory lock for a whole import (see `_held`); DatabaseLocked names
    the holder when another import keeps it longer than `wait` seconds."""
    path = Path(path)
    if path in _held:
        yield
        return
    _prepare_parent(path)
    try:
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ChatlakeError(f"cannot open {path}: {exc.strerror}") from None
    try:
        _flock(fd, path, fcntl.LOCK_EX, time.monotonic() + wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[path] = fd
        try:
            yield
        finally:
            del _held[path]
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _no_import_running(path: Path, deadline: float) -> Iterator[None]:
    """While DuckDB opens the file: wait until no import holds the advisory lock. A shared lock,
    opened read-only, so a read-only command writes nothing (and several run side by side)."""
    if path in _held:
        yield
        return
    try:
        fd = os.open(lock_path(path), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no import ever ran here, or a folder we cannot read: DuckDB's lock decides
        yield
        return
    try:
        _flock(fd, path, fcntl.LOCK_SH, deadline)
        yield
    finally:
        os.close(fd)


def _prepare_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadDatabasePath(f"{path}: a parent of the warehouse is a file, not a folder") from None
    except OSError as exc:
        raise ChatlakeError(f"cannot create {path.parent}: {exc.strerror}") from None


def connect(path: Path, read_only: bool = False, wait: float = 0.0,
            sandboxed: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse; wait up to `wait` seconds for a lock, then raise DatabaseLocked.

    `sandboxed` (read-only queries a user typed): no file outside the warehouse is read or
    written, and the query cannot switch that back on.
    """
    import duckdb  # here, not at the top: an import with nothing to do never opens the warehouse

    path = Path(path)
    if read_only and not path.exists():
        if any(p.is_file() for p in path.parents):
            raise BadDatabasePath(f"{path}: a parent of the warehouse is a file, not a folder")
        raise ChatlakeError(f"{path} does not exist yet; run `chatlake import` first")
    if not read_only:
        _prepare_parent(path)
    config = {"enable_external_access": False} if sandboxed else {}
    deadline = time.monotonic() + wait
    while True:
        try:
            with _no_import_running(path, deadline):
                con = duckdb.connect(str(path), read_only=read_only, config=config)
            # DuckDB's own progress bar writes to stdout (and would corrupt --json output)
            con.execute("set enable_progress_bar = false")
            if sandboxed:  # last: from here on no SET can give the query its files back
                con.execute("set lock_configuration = true")
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

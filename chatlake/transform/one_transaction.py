"""Run one dbt build as one DuckDB transaction: a private part of dbt-duckdb chatlake uses.

dbt commits model by model, so a build stopped half-way (Ctrl+C, `kill -9`, a full disk) would
leave some marts rebuilt from the new lines and others not: `human_messages` counting a session
that `sessions` does not have yet. chatlake's own builds instead hand every node the same DuckDB
connection, open one transaction before the first node and commit it after the last: a build
that does not finish leaves every mart as it was, and the landed lines wait for the next import.

dbt-duckdb gives each node its own cursor (`LocalEnvironment.handle`) and sends BEGIN, COMMIT
and rollbacks per node; while a build runs here, `handle` returns one shared handle that passes
every other statement through and lets only the outer transaction begin and end. dbt-duckdb is
pinned to ~=1.11 in pyproject.toml for this, tests/test_private_uses.py fails by name when an
upgrade moves `LocalEnvironment.handle`, and without it the build runs as dbt runs it (one
commit per model).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

# the statements dbt sends per node; the build's own transaction stands in for all of them
_PER_NODE = {"begin", "begin transaction", "commit", "commit transaction", "rollback", "rollback transaction"}


class _SharedCursor:
    """One DuckDB connection for every node: statements pass, per-node transaction control does not."""

    def __init__(self, cursor: Any, tx: "OneTransaction") -> None:
        self._cursor = cursor
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def execute(self, sql: str, bindings: Any = None) -> Any:
        if self._tx.stopped:  # RuntimeError: dbt reports it as the node's error and goes on failing fast
            raise RuntimeError("INTERRUPT Error: the build was interrupted")
        if sql.strip().rstrip(";").strip().lower() in _PER_NODE:
            return self
        return self._cursor.execute(sql) if bindings is None else self._cursor.execute(sql, bindings)

    def cursor(self) -> "_SharedCursor":  # a python model's second cursor would leave the transaction
        return self

    def rollback(self) -> None:
        """dbt rolls back after each test node; the build's transaction ends only with the build."""

    def close(self) -> None:
        """dbt closes its connection after each node; the shared one lives until the build ends."""


class _SharedHandle:
    def __init__(self, cursor: _SharedCursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _SharedCursor:
        return self._cursor

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


class OneTransaction:
    """What the build's transaction came to: committed, or rolled back (every mart as before)."""

    def __init__(self) -> None:
        self.handle: _SharedHandle | None = None
        self.raw: Any = None
        self.lock = threading.Lock()
        self.stopped = False

    def commit(self) -> None:
        """Commit the build; DuckDB refuses when a statement failed, and the marts stay as before."""
        if self.raw is not None:
            raw, self.raw = self.raw, None
            raw.execute("commit")

    def interrupt(self) -> None:
        """Stop the running statement and refuse the next ones (Ctrl+C): the build fails fast and rolls back."""
        self.stopped = True
        raw = self.raw
        if raw is not None:
            try:
                raw.interrupt()
            except Exception:  # between statements, or closed: nothing runs to stop
                pass

    def rollback(self) -> None:
        if self.raw is not None:
            raw, self.raw = self.raw, None
            try:
                raw.execute("rollback")
            except Exception:  # already aborted, or the connection went with an interrupt
                pass


def _local_environment() -> Any:
    try:
        from dbt.adapters.duckdb.environments.local import LocalEnvironment
    except ImportError:  # pragma: no cover - a dbt-duckdb that moved it: per-model commits
        return None
    return LocalEnvironment if callable(getattr(LocalEnvironment, "handle", None)) else None


@contextlib.contextmanager
def one_transaction() -> Iterator[OneTransaction]:
    """While inside, dbt-duckdb builds on one connection in one transaction; the caller commits.

    Leaving without `commit()` (an exception, Ctrl+C) rolls the whole build back. dbt must run
    with one thread: the nodes share one connection.
    """
    env_class = _local_environment()
    tx = OneTransaction()
    if env_class is None:
        yield tx
        return
    original = env_class.handle

    def handle(env: Any) -> Any:
        with tx.lock:
            if tx.handle is None:
                # taken once and never given back, so dbt-duckdb keeps the database open until
                # the build is over (release_duckdb closes it)
                wrapper = original(env)
                tx.raw = wrapper.cursor()
                tx.raw.execute("begin transaction")
                tx.handle = _SharedHandle(_SharedCursor(tx.raw, tx))
            return tx.handle

    env_class.handle = handle
    try:
        yield tx
    finally:
        env_class.handle = original
        tx.rollback()

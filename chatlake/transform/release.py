"""Let go of the warehouse as soon as a build is over: the one private part of dbt-duckdb chatlake uses.

dbt-duckdb keeps one DuckDB instance per process (`DuckDBConnectionManager._ENV`, guarded by
`_LOCK`) and closes it only when the process exits or garbage collection finds it; until then no
other process, and no read-only connection of this one, can open the file. chatlake closes it
right after each build. dbt-duckdb is pinned to ~=1.11 in pyproject.toml for this;
tests/test_private_uses.py fails loudly when an upgrade moves either name, and without them the
plain way (a garbage collection) still releases the file, only slower.
"""

from __future__ import annotations

from pathlib import Path


def release_duckdb(db: Path) -> None:
    """Close dbt-duckdb's instance; a garbage collection (0.15 s over dbt's objects) only if the file is still held."""
    import gc

    import duckdb
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    lock = getattr(DuckDBConnectionManager, "_LOCK", None)
    if lock is not None and hasattr(DuckDBConnectionManager, "_ENV"):
        with lock:
            env = DuckDBConnectionManager._ENV
            DuckDBConnectionManager._ENV = None
            if env is not None:
                try:
                    env.close()
                except Exception:  # already closed by dbt
                    pass
    try:  # another configuration than dbt's: refused while dbt's instance is alive
        duckdb.connect(str(db), config={"threads": 1}).close()
        return
    except duckdb.Error:
        pass
    gc.collect()

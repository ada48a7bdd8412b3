"""The embedding ledger in the DuckDB file: what has been pushed where, written briefly and in bulk.

The target is the truth: a run checks each batch against it before paying for it. The
ledger only saves that check on the next run, so a write that fails (the file is locked
by an import) or never happens (SIGKILL) costs a query later, never an API call.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from chatlake.core.db import connect, table_exists
from chatlake.core.errors import DatabaseLocked

SCHEMA_SQL = """
create schema if not exists embed;
create table if not exists embed.ledger (
    content_hash varchar not null,
    model varchar not null,
    dimensions integer not null,
    pushed_at timestamptz not null,
    target varchar not null,
    tokens integer,
    truncated boolean,
    primary key (target, model, dimensions, content_hash)
);
create table if not exists embed.failures (
    content_hash varchar not null,
    model varchar not null,
    dimensions integer not null,
    failed_at timestamptz not null,
    target varchar not null,
    error varchar,
    primary key (target, model, dimensions, content_hash)
);
create table if not exists embed.pushed_messages (
    message_uuid varchar not null,
    fingerprint varchar not null,
    pushed_at timestamptz not null,
    target varchar not null,
    primary key (target, message_uuid)
);
create table if not exists embed.warehouse (
    warehouse_id varchar not null,
    created_at timestamptz not null
);
"""


def ensure_schema(con) -> None:
    con.execute(SCHEMA_SQL)


def forget_model(db: Path, target: str, model: str, wait: float = 0.0) -> None:
    """Drop the ledger's rows for `model` in `target` (its vectors were removed there)."""
    con = connect(db, wait=wait)
    try:
        ensure_schema(con)
        for table in ("embed.ledger", "embed.failures"):
            con.execute(f"delete from {table} where target = ? and model = ?", [target, model])
    finally:
        con.close()


def read_warehouse_id(con) -> str | None:
    """The id this warehouse's rows carry in a vector store; None before its first embed."""
    if not table_exists(con, "embed", "warehouse"):
        return None
    row = con.execute("select warehouse_id from embed.warehouse order by created_at limit 1").fetchone()
    return row[0] if row else None


def warehouse_id(db: Path, wait: float = 0.0) -> str:
    """This warehouse's id, made at its first embed and kept in the file (a copied file keeps it)."""
    con = connect(db, read_only=True, wait=wait)
    try:
        found = read_warehouse_id(con)
    finally:
        con.close()
    if found:
        return found
    con = connect(db, wait=wait)
    try:
        ensure_schema(con)
        con.begin()
        found = read_warehouse_id(con)
        if not found:
            found = str(uuid.uuid4())
            con.execute("insert into embed.warehouse values (?, ?)", [found, datetime.now(timezone.utc)])
        con.commit()
    finally:
        con.close()
    return found


def _insert(con, table: str, rows: pa.Table, constants: dict) -> None:
    """Insert or replace `rows` into `table`, with `constants` as the same value in every row."""
    con.register("chatlake_ledger_rows", rows)
    try:
        columns = [*rows.column_names, *constants]
        con.execute(
            f"insert or replace into {table} ({', '.join(columns)})"
            f" select {', '.join(rows.column_names)}, {', '.join('?' for _ in constants)} from chatlake_ledger_rows",
            list(constants.values()),
        )
    finally:
        con.unregister("chatlake_ledger_rows")


@dataclass
class Ledger:
    """Buffers ledger rows and writes them in one short read-write connection at a time."""

    db: Path
    target: str
    model: str
    dimensions: int
    # Each flush opens the DuckDB file; the ledger only spares the next run a check against
    # the target, so seldom is often enough.
    flush_every: float = 10.0
    # Keyed by hash (or uuid): a row recorded twice before a flush is written once.
    embedded: dict[str, tuple[int, bool]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    last_flush: float = field(default_factory=time.monotonic)
    written: int = 0

    def add_embedded(self, rows: list[tuple[str, int, bool]]) -> None:
        """(content_hash, tokens, truncated) now present in the target."""
        self.embedded.update((h, (tokens, truncated)) for h, tokens, truncated in rows)

    def add_failed(self, rows: list[tuple[str, str]]) -> None:
        """(content_hash, error) refused by the API."""
        self.failed.update(rows)

    def add_messages(self, rows: list[tuple[str, str]]) -> None:
        """(message_uuid, fingerprint) now present in the target."""
        self.messages.update(rows)

    @property
    def pending(self) -> int:
        return len(self.embedded) + len(self.failed) + len(self.messages)

    def maybe_flush(self) -> None:
        if self.pending and time.monotonic() - self.last_flush >= self.flush_every:
            try:
                self.flush(wait=0.0)
            except DatabaseLocked:
                pass  # kept in memory; the next flush tries again

    def flush(self, wait: float = 0.0) -> int:
        """Write buffered rows; raises DatabaseLocked (keeping them) when another process holds the file."""
        self.last_flush = time.monotonic()
        if not self.pending:
            return 0
        now = datetime.now(timezone.utc)
        con = connect(self.db, wait=wait)
        try:
            ensure_schema(con)
            con.begin()
            if self.embedded:
                _insert(con, "embed.ledger", pa.table({
                    "content_hash": list(self.embedded),
                    "tokens": pa.array([v[0] for v in self.embedded.values()], pa.int32()),
                    "truncated": pa.array([bool(v[1]) for v in self.embedded.values()], pa.bool_()),
                }), {"model": self.model, "dimensions": self.dimensions, "pushed_at": now, "target": self.target})
                key = [self.target, self.model, self.dimensions]
                if con.execute("select 1 from embed.failures where target = ? and model = ? and dimensions = ?"
                               " limit 1", key).fetchone():  # most runs have none: spare the list of hashes
                    con.execute(
                        "delete from embed.failures where target = ? and model = ? and dimensions = ?"
                        " and content_hash in (select unnest(?::varchar[]))",
                        [*key, list(self.embedded)],
                    )
            if self.failed:
                _insert(con, "embed.failures", pa.table({
                    "content_hash": list(self.failed),
                    "error": list(self.failed.values()),
                }), {"model": self.model, "dimensions": self.dimensions, "failed_at": now, "target": self.target})
            if self.messages:
                _insert(con, "embed.pushed_messages", pa.table({
                    "message_uuid": list(self.messages),
                    "fingerprint": list(self.messages.values()),
                }), {"pushed_at": now, "target": self.target})
            con.commit()
        finally:
            con.close()
        written = self.pending
        self.written += written
        self.embedded, self.failed, self.messages = {}, {}, {}
        return written

"""What the warehouse holds and what is left to embed, read from the warehouse itself."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime

from chatlake.core.settings import resolve
from chatlake.core.db import connect, table_exists

# Ledger flushes further apart than this belong to different runs of `chatlake embed`.
RUN_GAP_SECONDS = 300.0
RATE_RUNS = 3


@dataclass
class ModelStatus:
    target: str
    model: str
    dimensions: int
    kinds: list[str]
    embedded: int
    failed: int
    remaining: int
    remaining_tokens: int
    price_per_million: float | None
    rate_per_second: float | None  # hashes per second measured over the last runs

    @property
    def remaining_cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.remaining_tokens * self.price_per_million / 1e6

    @property
    def remaining_seconds(self) -> float | None:
        if not self.remaining:
            return 0.0
        return self.remaining / self.rate_per_second if self.rate_per_second else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(remaining_cost=self.remaining_cost, remaining_seconds=self.remaining_seconds)
        return data


@dataclass
class Status:
    db: str
    files_seen: int = 0
    files_bytes: int = 0
    sessions: int = 0
    human_messages: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    first_activity: datetime | None = None
    last_activity: datetime | None = None
    last_import: dict | None = None
    rejected_lines: int = 0
    export_files: int = 0
    conversations: int = 0
    rejected_conversations: int = 0
    embeddings: list[ModelStatus] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["embeddings"] = [m.to_dict() for m in self.embeddings]
        for key in ("first_activity", "last_activity"):
            data[key] = data[key].isoformat() if data[key] else None
        if self.last_import:
            data["last_import"] = {k: v.isoformat() if isinstance(v, datetime) else v
                                   for k, v in self.last_import.items()}
        return data


def measured_rate(flushes: list[tuple[datetime, int]], gap: float = RUN_GAP_SECONDS,
                  runs: int = RATE_RUNS) -> float | None:
    """Hashes per second over the last `runs` runs, from (ledger write time, hashes written) pairs.

    A run's first write holds work done before any clock we can see, so it counts neither
    hashes nor time; a run with a single write gives no rate.
    """
    grouped: list[list[tuple[datetime, int]]] = []
    for when, hashes in sorted(flushes):
        if grouped and (when - grouped[-1][-1][0]).total_seconds() <= gap:
            grouped[-1].append((when, hashes))
        else:
            grouped.append([(when, hashes)])
    timed = [g for g in grouped if len(g) > 1][-runs:]
    seconds = sum((g[-1][0] - g[0][0]).total_seconds() for g in timed)
    hashes = sum(n for g in timed for _, n in g[1:])
    return hashes / seconds if seconds > 0 else None


def _scalar(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def _warehouse(con, s: Status) -> None:
    if table_exists(con, "raw", "files"):
        s.files_seen, s.files_bytes = con.execute("select count(*), coalesce(sum(size), 0) from raw.files").fetchone()
    if table_exists(con, "raw", "agent_files"):  # Codex CLI's and Gemini CLI's
        files, size = con.execute("select count(*), coalesce(sum(size), 0) from raw.agent_files").fetchone()
        s.files_seen, s.files_bytes = s.files_seen + files, s.files_bytes + size
    if table_exists(con, "main", "sessions"):
        s.sessions = _scalar(con, "select count(*) from main.sessions")
    if table_exists(con, "main", "human_messages"):
        s.by_kind = dict(con.execute("select kind, count(*) from main.human_messages group by kind"
                                     " order by count(*) desc, kind").fetchall())
        s.human_messages = sum(s.by_kind.values())
        s.first_activity, s.last_activity = con.execute(
            "select min(created_at), max(created_at) from main.human_messages").fetchone()
    if table_exists(con, "raw", "rejected_lines"):
        s.rejected_lines = _scalar(con, "select count(*) from raw.rejected_lines")
    if table_exists(con, "raw", "export_files"):
        s.export_files = _scalar(con, "select count(*) from raw.export_files where source_kind is not null")
    if table_exists(con, "raw", "export_conversations"):
        s.conversations = _scalar(con, "select count(*) from (select distinct source_kind, conversation_id"
                                       " from raw.export_conversations)")
    if table_exists(con, "raw", "rejected_conversations"):
        s.rejected_conversations = _scalar(con, "select count(*) from raw.rejected_conversations")
    if table_exists(con, "raw", "loads"):
        cursor = con.execute(
            "select load_id, started_at, finished_at, date_diff('millisecond', started_at, finished_at) / 1000.0"
            " as seconds, files_seen, files_new, files_appended, files_rewritten, files_failed, lines_landed,"
            " lines_rejected, bytes_read from raw.loads order by load_id desc limit 1")
        row = cursor.fetchone()
        if row:
            s.last_import = dict(zip([d[0] for d in cursor.description], row))


def _embeddings(con) -> list[ModelStatus]:
    from chatlake.embed.config import MODEL_PRICES
    from chatlake.embed.select import pending_texts_sql

    if not (table_exists(con, "embed", "ledger") and table_exists(con, "main", "human_messages")):
        return []
    out = []
    keys = con.execute("select target, model, dimensions from embed.ledger group by all order by all").fetchall()
    has_failures = table_exists(con, "embed", "failures")
    for target, model, dimensions in keys:
        key = [target, model, dimensions]
        # The kinds this model was asked to embed: those its vectors came from, and prompts (the default).
        kinds = [r[0] for r in con.execute(
            "select distinct m.kind from main.human_messages m join embed.ledger l using (content_hash)"
            " where l.target = ? and l.model = ? and l.dimensions = ? union select 'prompt' order by 1", key
        ).fetchall()]
        # what is left is what `embed` would send: the same rule, counted
        pending, pending_params = pending_texts_sql(con, kinds=tuple(kinds), model=model, dimensions=dimensions,
                                                    target=target)
        remaining, remaining_chars = con.execute(
            f"select count(*), coalesce(sum(length(content)), 0) from ({pending})", pending_params).fetchone()
        failed = (_scalar(con, "select count(*) from embed.failures where target = ? and model = ? and dimensions = ?",
                          key) if has_failures else 0)
        embedded, tokens, chars = con.execute(
            """
            with texts as (
                select content_hash, min(content) as content
                from main.human_messages
                where content is not null and trim(content) <> ''
                group by content_hash
            ),
            done as (select content_hash, tokens from embed.ledger where target = ? and model = ? and dimensions = ?)
            select
                (select count(*) from done),
                (select coalesce(sum(d.tokens), 0) from done d join texts t using (content_hash)),
                (select coalesce(sum(length(t.content)), 0) from done d join texts t using (content_hash))
            """,
            key,
        ).fetchone()
        # Tokens per character as measured on what was sent; about 4 characters a token otherwise.
        per_char = tokens / chars if tokens and chars else 0.25
        flushes = con.execute("select pushed_at, count(*) from embed.ledger where target = ? and model = ?"
                              " and dimensions = ? group by pushed_at", key).fetchall()
        out.append(ModelStatus(target, model, dimensions, kinds, embedded, failed, remaining,
                               round(remaining_chars * per_char), MODEL_PRICES.get(model), measured_rate(flushes)))
    return out


def warehouse_status(db: str | os.PathLike | None = None, wait: bool | float | None = None) -> Status:
    """Counts, last import and embedding progress, on one short read-only connection."""
    settings = resolve(db=db, wait=wait)
    status = Status(str(settings.db))
    con = connect(settings.db, read_only=True, wait=settings.wait)
    try:
        _warehouse(con, status)
        status.embeddings = _embeddings(con)
    finally:
        con.close()
    return status

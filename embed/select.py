"""Which texts and which message rows still have to go to the target (read from DuckDB)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from chatlake.core.db import table_exists
from chatlake.core.errors import ChatlakeError
from chatlake.vectorstore.base import MESSAGE_COLUMNS

# created_at as microseconds since 1970 (UTC), named as the column.
EPOCH_US = "epoch_us(created_at) as created_at"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Postgres text cannot hold NUL (a pasted binary, a mangled export), and one would fail the whole
# COPY of its batch on every run: texts are sent and stored with U+FFFD in its place. The
# content_hash is left alone, so a vector stays keyed by the original content.
NUL_STANDIN = "\ufffd"


def _without_nul(column: str) -> str:
    return f"replace({column}, chr(0), '{NUL_STANDIN}')"


# Not frozen: a frozen dataclass costs 2.9 us to make against 0.5 us, and a run makes one per text.
@dataclass(slots=True)
class Pending:
    """One distinct text with no vector yet for the configured model and target."""

    content_hash: str
    content: str


def require_mart(con) -> None:
    if not table_exists(con, "main", "human_messages"):
        raise ChatlakeError("the warehouse has no human_messages yet; run `chatlake import` first")


def _kinds_sql(kinds: tuple[str, ...]) -> tuple[str, list]:
    return ", ".join("?" for _ in kinds), list(kinds)


def pending_texts_sql(con, *, kinds: tuple[str, ...], model: str, dimensions: int, target: str,
                      include_failed: bool = False, use_ledger: bool = True) -> tuple[str, list]:
    """The rule of what is still to embed, as a query of (content_hash, content): distinct non-blank
    texts of the chosen kinds that the ledger does not record as pushed (or refused). `embed` sends
    these; `status` counts them."""
    require_mart(con)
    marks, params = _kinds_sql(kinds)
    skip = []
    if use_ledger and table_exists(con, "embed", "ledger"):
        skip.append("select content_hash from embed.ledger where target = ? and model = ? and dimensions = ?")
        params += [target, model, dimensions]
    if not include_failed and table_exists(con, "embed", "failures"):
        skip.append("select content_hash from embed.failures where target = ? and model = ? and dimensions = ?")
        params += [target, model, dimensions]
    anti = f"and content_hash not in ({' union all '.join(skip)})" if skip else ""
    return f"""
        select content_hash, min({_without_nul("content")}) as content
        from main.human_messages
        where kind in ({marks})
          and content is not null
          and trim(content) <> ''
          {anti}
        group by content_hash
        """, params


def pending_texts(con, **rule) -> list[Pending]:
    """The texts still to embed (see pending_texts_sql), in hash order."""
    sql, params = pending_texts_sql(con, **rule)
    return [Pending(h, c) for h, c in con.execute(f"{sql} order by content_hash", params).fetchall()]


_UNTOUCHED = ("message_index", "created_at", "content_hash")


def _chosen_column(column: str) -> str:
    if column == "warehouse_id":  # not in the mart: the warehouse's own id, the same on every row
        return "?::varchar as warehouse_id"
    return column if column in _UNTOUCHED else f"{_without_nul(column)} as {column}"


def pending_messages(con, *, kinds: tuple[str, ...], target: str, redaction: str = "none",
                     warehouse_id: str = "") -> list[tuple]:
    """Message rows (MESSAGE_COLUMNS + fingerprint) that are new or changed since they were last pushed.

    `redaction` names how the texts are stored ("none", or the rule set redacting them): it is part
    of the fingerprint, so rows stored unredacted, or with other rules, are stored again; so is
    `warehouse_id`, so rows pushed before they carried one are pushed again with it.
    """
    require_mart(con)
    marks, params = _kinds_sql(kinds)
    params = [warehouse_id, redaction, *params]
    pushed = ""
    if table_exists(con, "embed", "pushed_messages"):
        pushed = """and not exists (
              select 1 from embed.pushed_messages p
              where p.target = ? and p.message_uuid = m.message_uuid and p.fingerprint = m.fingerprint)"""
        params.append(target)
    rows = con.execute(
        f"""
        with chosen as (
            select {', '.join(_chosen_column(c) for c in MESSAGE_COLUMNS)},
                ?::varchar as redaction
            from main.human_messages
            where kind in ({marks})
              and content is not null
              and trim(content) <> ''
        ),
        m as (
            select
                *,
                md5(concat_ws('|', message_uuid, session_id, message_index, created_at, kind, content_hash,
                              project_path, git_branch, source, warehouse_id, redaction)) as fingerprint
            from chosen
        )
        select {', '.join(EPOCH_US if c == "created_at" else c for c in MESSAGE_COLUMNS)}, fingerprint from m
        where true {pushed}
        order by message_uuid
        """,
        params,
    ).fetchall()
    # DuckDB hands timestamptz values to Python through pytz, 1.3 s per 100,000 rows; from
    # microseconds since the epoch they cost a tenth of that.
    return [(uuid, session, index, None if micros is None else _EPOCH + timedelta(microseconds=micros), *rest)
            for uuid, session, index, micros, *rest in rows]


def count_hashes(con, kinds: tuple[str, ...]) -> int:
    """Distinct non-blank texts of the chosen kinds, pushed or not."""
    require_mart(con)
    marks, params = _kinds_sql(kinds)
    return con.execute(
        f"select count(distinct content_hash) from main.human_messages"
        f" where kind in ({marks}) and content is not null and trim(content) <> ''",
        params,
    ).fetchone()[0]

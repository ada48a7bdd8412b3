"""The tools' bodies: each calls one library on short read-only connections and returns text.

Every connection is opened for the call and closed before it returns, so an import can run
between two calls; a warehouse an import holds is waited for (`patiently`), up to `Options.wait`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatlake.core.db import connect
from chatlake.core.errors import ChatlakeError
from chatlake.mcpserver.query import run_capped
from chatlake.mcpserver.render import hits_text, rows_text, status_text, usage_text
from chatlake.mcpserver.waiting import patiently
from chatlake.mcpserver.window import window

class WindowEmpty(ChatlakeError):
    """get_session was asked for messages the session does not have."""


@dataclass(frozen=True)
class Options:
    db: Path
    wait: float = 30.0  # seconds a call waits for an import that holds the warehouse
    redact: bool = True
    max_rows: int = 200
    max_chars: int = 50_000
    query_seconds: float = 30.0  # a longer sql query is interrupted


def message_indexes(con, hits: list) -> dict[str, int]:
    """Each hit's 0-based position in its session (what the sessions mart and get_session count)."""
    if not hits:
        return {}
    return dict(con.execute("select message_uuid, message_index from main.human_messages"
                            " where message_uuid in (select unnest(?::varchar[]))",
                            [[h.message_uuid for h in hits]]).fetchall())


def search_messages(opts: Options, query: str, mode: str = "hybrid", project: str | None = None,
                    since: str | None = None, until: str | None = None, source: str | None = None,
                    kinds: list[str] | None = None, limit: int = 10) -> str:
    from chatlake.core.redact import redact
    from chatlake.search import make_filters, make_snippet, query_terms, search

    # the source is filtered inside the search's query, before its ranking is cut at `limit`
    filters = make_filters(project, since, until, kinds, source)

    def attempt(left: float):
        # This connection waits for an import (the search library does not), and while it is open
        # the library's own connection reuses its database instance: opening one costs 40-100 ms,
        # a second connection to it 0.1 ms. Closed with the call, so an import can run after it.
        con = connect(opts.db, read_only=True, wait=left)
        try:
            result = search(query, db=opts.db, mode=mode, k=limit, filters=filters)
            return result, result.hits, message_indexes(con, result.hits)
        finally:
            con.close()

    result, hits, indexes = patiently(attempt, opts.wait)
    if opts.redact:
        # before the snippet is cut, or a key cut in half would no longer look like one
        terms = query_terms(query)
        for hit in hits:
            cleaned = redact(hit.content)
            if cleaned.changed:
                hit.content, hit.snippet = cleaned.text, make_snippet(cleaned.text, terms)
    return hits_text(query, result.mode, hits, indexes, result.note)


def run_sql(opts: Options, query: str) -> str:
    result = patiently(lambda left: run_capped(opts.db, query, max_rows=opts.max_rows, seconds=opts.query_seconds,
                                               wait=left), opts.wait)
    return rows_text(result, result.more_rows, opts.max_chars, clean=scrubber(opts.redact))


def scrubber(on: bool):
    """The redaction every text leaving through MCP passes (the embed step's rules), or none."""
    if not on:
        return lambda text: text
    from chatlake.core.redact import redact

    return lambda text: redact(text).text


def warehouse_status(opts: Options) -> str:
    from chatlake.status import warehouse_status as read_status

    return status_text(patiently(lambda left: read_status(opts.db, wait=left), opts.wait))


def session_window(opts: Options, session: str, start: int = 0, count: int = 10, responses: bool = True,
                   tools: bool = False) -> str:
    from chatlake.show import load_conversation
    from chatlake.show import markdown

    def attempt(left: float):
        con = connect(opts.db, read_only=True, wait=left)  # as in search: its instance serves show's connection
        try:
            conversation = load_conversation(session, db=opts.db, redact=opts.redact)
            indexes = dict(con.execute("select message_uuid, message_index from main.human_messages"
                                       " where session_id = ?", [conversation.session_id]).fetchall())
            return conversation, indexes
        finally:
            con.close()

    conversation, indexes = patiently(attempt, opts.wait)
    part = window(conversation.events, indexes, start, count, responses, tools)
    if part.first is None:
        raise WindowEmpty(f"session {conversation.session_id} has {part.total} human messages"
                          f" (0 to {part.total - 1}); start={start} is past them" if part.total else
                          f"session {conversation.session_id} holds no human message")
    head = (f"messages {part.first} to {part.last} of {part.total} (0-based, as search reports them; each"
            " human message is a `## You`, `## Command`, `## Shell (!)` or `## Memory (#)` heading)")
    body = markdown.render(conversation, part.events)
    if len(body) > opts.max_chars:
        body = body[:opts.max_chars] + f"\n… cut at {opts.max_chars:,} characters: ask for fewer messages"
    more = f"\n(more: start={part.last + 1})" if part.last + 1 < part.total else ""
    return f"{head}\n\n{body.rstrip()}{more}"


PERIODS = {"day": "daily", "week": "weekly", "month": "monthly", "session": "session", "block": "blocks"}


def usage_figures(opts: Options, period: str = "day", since: str | None = None, until: str | None = None,
                  project: str | None = None, breakdown: bool = False) -> str:
    from chatlake.usage import make_options, usage_report

    asked = make_options(since=since, until=until, project=project)
    report = patiently(lambda left: usage_report(PERIODS[period], db=opts.db, opts=asked, wait=left), opts.wait)
    return usage_text(report, breakdown)

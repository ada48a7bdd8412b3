"""`chatlake show`: one conversation, read back in order, for the terminal, Markdown, HTML or JSON."""

from __future__ import annotations

import json
import os
from dataclasses import replace

from chatlake.core.settings import resolve_db
from chatlake.core.db import connect
from chatlake.core.sources import parse_sources
from chatlake.show.events import Conversation, Event, visible
from chatlake.show.resolve import AmbiguousSession, Candidate, SessionNotFound

FORMATS = ("terminal", "markdown", "html", "json")

__all__ = ["AmbiguousSession", "Candidate", "Conversation", "Event", "FORMATS", "SessionNotFound",
           "load_conversation", "render_text"]


def load_conversation(ref: str | None = None, *, db: str | os.PathLike | None = None, last: bool = False,
                      project: str | None = None, thinking: bool = False, injected: bool = False,
                      redact: bool = False, wait: float = 0.0,
                      sources: str | list[str] | None = None) -> Conversation:
    """The session `ref` names (an id or a unique prefix; with `last`, the latest, of `project` and
    `sources` when given), with the events a reader asked for: thinking and injected text only when asked."""
    from chatlake.show.gather import gather
    from chatlake.show.resolve import resolve

    chosen_sources = parse_sources(sources)  # a bad one is a usage error before the warehouse is opened
    con = connect(resolve_db(db), read_only=True, wait=wait)
    try:
        chosen = resolve(con, ref, last=last, project=project, sources=chosen_sources)
        conversation = gather(con, chosen.session_id)
    finally:
        con.close()
    conversation.events = visible(conversation.events, thinking=thinking, injected=injected)
    if redact:
        conversation = redacted(conversation)
    return conversation


def redacted(conv: Conversation) -> Conversation:
    """`conv` with every secret shape (API keys, tokens, passwords) replaced, for a page to share."""
    from chatlake.core.redact import redact

    def clean(text: str | None) -> str | None:
        return redact(text).text if text else text

    def event(e: Event) -> Event:
        tool_input = e.input
        if tool_input:
            try:
                tool_input = json.loads(clean(json.dumps(tool_input)))
            except ValueError:  # a secret that spanned a quote: keep the text, not the structure
                tool_input = {"redacted": clean(json.dumps(tool_input))}
        return replace(e, text=clean(e.text), gist=clean(e.gist), result=clean(e.result), input=tool_input,
                       events=[event(inner) for inner in e.events])

    return replace(conv, title=clean(conv.title), events=[event(e) for e in conv.events])


def render_text(conv: Conversation, fmt: str, expand_agents: bool = False) -> str:
    """`conv` as Markdown, a self-contained HTML page or JSON (the terminal's form is rich's: see terminal.render)."""
    if fmt == "markdown":
        from chatlake.show import markdown

        return markdown.render(conv, conv.events, expand_agents)
    if fmt == "html":
        from chatlake.show import page

        return page.render(conv, conv.events, expand_agents)
    if fmt == "json":
        return json.dumps(conv.to_dict(), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}")

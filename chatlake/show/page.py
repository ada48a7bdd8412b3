"""A conversation as one self-contained HTML page (styles inline; no script, no network)."""

from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt

from chatlake.show.events import Conversation, Event, fold
from chatlake.show.terminal import header_lines, resume_line, when

# Raw HTML in a reply is shown as text, never run: the page must not load or execute anything.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_LABEL = {"prompt": "You", "command": "Command", "bash": "Shell", "memory": "Memory"}

STYLE = """
:root { --fg: #1d1d1f; --dim: #6e6e73; --line: #e5e5ea; --you: #eef5ff; --err: #c0271f; --code: #f5f5f7; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ed; --dim: #98989d; --line: #38383a; --you: #1c2a3d; --err: #ff6961; --code: #1c1c1e; }
  body { background: #111; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; color: var(--fg); }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .25rem; }
.facts, .stamp, .sid { color: var(--dim); font-size: .875rem; }
.sid { font-family: ui-monospace, Menlo, monospace; }
.human { background: var(--you); border-radius: .75rem; padding: .6rem .9rem; margin: 1.25rem 0 .5rem; }
.human .who, .reply .who { font-weight: 600; font-size: .875rem; }
.human .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.reply { margin: .75rem 0; }
.reply .text > :first-child { margin-top: .25rem; }
pre, code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: var(--code); padding: .5rem .75rem; border-radius: .4rem; overflow-x: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; margin: .25rem 0; }
details { margin: .2rem 0; }
summary { cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tool summary .name, .agent summary .name { font-weight: 600; }
.tool summary .gist, .agent summary .gist { font-family: ui-monospace, Menlo, monospace; font-size: .85rem; color: var(--dim); }
.error summary, .error pre { color: var(--err); }
.agent { border-left: 3px solid var(--line); padding-left: .75rem; margin: .5rem 0; }
.quiet { color: var(--dim); font-size: .875rem; }
.more { color: var(--dim); font-size: .8rem; }
footer { margin-top: 2rem; border-top: 1px solid var(--line); padding-top: 1rem; }
table { border-collapse: collapse; } td, th { border: 1px solid var(--line); padding: .2rem .5rem; }
"""


def render(conv: Conversation, events: list[Event], expand_agents: bool = False) -> str:
    title, facts = header_lines(conv)
    body = "".join(_event(e, expand_agents) for e in events)
    resume = resume_line(conv)
    footer = (f'<footer><div class="quiet">Resume it in Claude Code:</div><pre>{escape(resume)}</pre></footer>'
              if resume else "")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>{escape(title)}</h1><div class=\"facts\">{escape(facts)}</div>"
            f"<div class=\"sid\">{escape(conv.session_id)}</div>{body}{footer}</main></body></html>\n")


def _folded(text: str, lines: int) -> str:
    kept, more = fold(text, lines)
    extra = f'<div class="more">… {more} more line{"s" if more != 1 else ""}</div>' if more else ""
    return f"<pre>{escape(chr(10).join(kept))}</pre>{extra}"


def _event(event: Event, expand: bool) -> str:
    stamp = f'<span class="stamp">{escape(when(event.created_at))}</span>'
    if event.kind in _LABEL:
        text = f"<pre>{escape(event.text)}</pre>" if event.kind in ("command", "bash") else \
            f'<div class="text">{escape(event.text)}</div>'
        return f'<section class="human {event.kind}"><div class="who">{_LABEL[event.kind]} {stamp}</div>{text}</section>'
    if event.kind == "reply":
        return (f'<section class="reply"><div class="who">Assistant {stamp}</div>'
                f'<div class="text">{_MARKDOWN.render(event.text)}</div></section>')
    if event.kind == "thinking":
        return f'<details class="thinking quiet"><summary>thinking</summary><pre>{escape(event.text)}</pre></details>'
    if event.kind == "injected":
        return (f'<details class="injected quiet"><summary>{escape(event.reason or "injected")}</summary>'
                f"{_folded(event.text, 12)}</details>")
    error = " error" if event.is_error else ""
    mark = "✗ " if event.is_error else ""
    summary = (f'<summary>{mark}<span class="name">{escape(event.tool or "tool")}</span> '
               f'<span class="gist">{escape(event.gist or "")}</span></summary>')
    result = _folded(event.result, 12) if event.result is not None else '<div class="more">(no result)</div>'
    if event.kind == "agent":
        prompt = f'<div class="quiet">Prompt</div><pre>{escape(event.text)}</pre>' if event.text else ""
        inner = "".join(_event(e, expand) for e in event.events) if expand else ""
        return (f'<details class="agent{error}"{" open" if expand else ""}>{summary}{prompt}{inner}'
                f'<div class="quiet">Answer</div>{result}</details>')
    return f'<details class="tool{error}">{summary}{result}</details>'

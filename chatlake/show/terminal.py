"""A conversation for the terminal, through rich: prompts, replies, one line per tool call."""

from __future__ import annotations

import shlex
from datetime import datetime
from typing import Iterator

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.text import Text

from chatlake.show.events import Conversation, Event, fold, one_line

# How each kind a person types reads as itself.
_HUMAN_MARK = {"prompt": "❯", "command": "/", "bash": "!", "memory": "#"}


def _pad(renderable: RenderableType, pad: tuple) -> Padding:
    """Indented, without the trailing blanks a full-width padding leaves in a pipe or a file."""
    return Padding(renderable, pad, expand=False)


def when(moment: datetime | None, with_date: bool = False) -> str:
    """Local time, to the minute (with the date on headers and when asked)."""
    if moment is None:
        return ""
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def header_lines(conv: Conversation) -> list[str]:
    """The title, then where and when (shared by every format)."""
    where = " ".join(p for p in (conv.project_path or "", f"[{conv.git_branch}]" if conv.git_branch else "") if p)
    span = when(conv.first_at, True)
    if conv.last_at and conv.first_at and conv.last_at.astimezone().date() != conv.first_at.astimezone().date():
        span += f" → {when(conv.last_at, True)}"
    elif conv.last_at:
        span += f"–{when(conv.last_at)}"
    return [conv.title or conv.session_id, " · ".join(p for p in (conv.source, where, span) if p)]


def resume_line(conv: Conversation) -> str | None:
    """`claude --resume <id>`, run in the session's project folder."""
    if not conv.resume_command:
        return None
    if not conv.project_path:
        return conv.resume_command
    return f"cd {shlex.quote(conv.project_path)} && {conv.resume_command}"


def render(conv: Conversation, events: list[Event], expand_agents: bool = False) -> Group:
    """Everything `chatlake show` prints for `conv` in a terminal, as one rich renderable."""
    title, facts = header_lines(conv)
    parts: list[RenderableType] = [Text(title, style="bold"), Text(facts, style="dim"),
                                   Text(conv.session_id, style="dim")]
    parts.extend(_events(events, expand_agents))
    return Group(*parts)


def footer(conv: Conversation) -> Text | None:
    """The resume command (print it with soft_wrap, so that it stays one line to copy whole)."""
    resume = resume_line(conv)
    return Text.assemble("\n", ("resume: ", "dim"), (resume, "bold")) if resume else None


def _events(events: list[Event], expand_agents: bool, depth: int = 0) -> Iterator[RenderableType]:
    pad = 4 * depth
    for event in events:
        for part in _event(event, expand_agents, depth):
            yield _pad(part, (0, 0, 0, pad)) if pad else part


def _event(event: Event, expand_agents: bool, depth: int) -> Iterator[RenderableType]:
    stamp = when(event.created_at)
    if event.kind in _HUMAN_MARK:
        label = "you" if event.kind == "prompt" else event.kind
        yield Text("")
        yield Text.assemble((f"{_HUMAN_MARK[event.kind]} {label}", "bold cyan"), (f"  {stamp}", "dim"))
        # a command is already `/name args`; bash and memory input read as typed
        body = f"{_HUMAN_MARK[event.kind]} {event.text}" if event.kind in ("bash", "memory") else event.text
        yield _pad(Text(body, style="cyan" if event.kind != "prompt" else ""), (0, 0, 0, 2))
    elif event.kind == "reply":
        yield Text("")
        yield Text.assemble(("● assistant", "bold green"), (f"  {stamp}", "dim"))
        yield _pad(Markdown(event.text), (0, 0, 0, 2))
    elif event.kind == "thinking":
        yield _pad(Text("✻ " + event.text, style="dim italic"), (0, 0, 0, 2))
    elif event.kind == "tool":
        yield from _tool(event)
    elif event.kind == "agent":
        yield from _agent(event, expand_agents, depth)
    elif event.kind == "injected":
        lines, more = fold(event.text, 2)
        text = "\n".join(lines) + (f"\n… {more} more lines" if more else "")
        yield _pad(Text.assemble((f"[{event.reason}] ", "dim bold"), (text, "dim")), (0, 0, 0, 2))


def _call_line(event: Event, mark: str = "⏺") -> Text:
    style = "bold red" if event.is_error else "bold"
    line = Text.assemble(("  ✗ " if event.is_error else f"  {mark} ", style), (event.tool or "tool", style))
    if event.gist:
        line.append("  " + event.gist, style="red" if event.is_error else "")
    line.no_wrap, line.overflow = True, "ellipsis"  # one line per call, at any width
    return line


def _result(text: str | None, is_error: bool, lines: int = 3, wrap: bool = False) -> Iterator[RenderableType]:
    if text is None:
        yield Text("      (no result)", style="dim")
        return
    kept, more = fold(text, lines)
    style = "red" if is_error else "dim"
    if wrap:  # a sub-agent's answer is prose: wrapped, under its call
        yield _pad(Text.assemble(("⎿ ", "dim"), ("\n".join(kept), style)), (0, 0, 0, 4))
    for i, line in enumerate([] if wrap else kept or ["(empty)"]):
        row = Text.assemble(("    ⎿ " if i == 0 else "      ", "dim"), (line, style))
        row.no_wrap, row.overflow = True, "ellipsis"  # output: one screen line per line
        yield row
    if more:
        yield Text(f"      … {more} more line{'s' if more != 1 else ''}", style="dim")


def _tool(event: Event) -> Iterator[RenderableType]:
    yield _call_line(event)
    yield from _result(event.result, event.is_error)


def _agent(event: Event, expand: bool, depth: int) -> Iterator[RenderableType]:
    yield _call_line(event, "⧉")
    if event.text:
        yield _pad(Text("prompt: " + one_line(event.text, 400), style="dim"), (0, 0, 0, 6))
    if expand and event.events:
        yield from _events(event.events, expand, depth + 1)
    elif event.events:
        tools = sum(1 for e in event.events if e.kind in ("tool", "agent"))
        replies = sum(1 for e in event.events if e.kind == "reply")
        inside = f"{tools} tool call{'s' if tools != 1 else ''}, {replies} repl{'ies' if replies != 1 else 'y'}"
        yield Text(f"      {inside} inside (--agents shows them)", style="dim")
    yield from _result(event.result, event.is_error, lines=6, wrap=True)

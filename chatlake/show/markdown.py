"""A conversation as Markdown: a file someone can paste into an issue or commit."""

from __future__ import annotations

from chatlake.show.events import Conversation, Event, fold, one_line
from chatlake.show.terminal import header_lines, resume_line, when

_LABEL = {"prompt": "You", "command": "Command", "bash": "Shell (!)", "memory": "Memory (#)"}


def fence(text: str, info: str = "") -> str:
    """`text` in a code fence longer than any run of backticks inside it."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def render(conv: Conversation, events: list[Event], expand_agents: bool = False) -> str:
    title, facts = header_lines(conv)
    out = [f"# {title}", "", f"{facts}  ", f"session `{conv.session_id}`", ""]
    out.extend(_events(events, expand_agents))
    resume = resume_line(conv)
    if resume:
        out.extend(["", "---", "", "Resume it in Claude Code:", "", fence(resume, "sh")])
    return "\n".join(out).rstrip() + "\n"


def _events(events: list[Event], expand: bool) -> list[str]:
    lines: list[str] = []
    for event in events:
        lines.extend(_event(event, expand))
        lines.append("")
    return lines


def _event(event: Event, expand: bool) -> list[str]:
    stamp = when(event.created_at)
    if event.kind in _LABEL:
        body = fence(event.text) if event.kind in ("command", "bash") else event.text
        return [f"## {_LABEL[event.kind]} · {stamp}" if stamp else f"## {_LABEL[event.kind]}", "", body]
    if event.kind == "reply":
        return [f"**Assistant** · {stamp}" if stamp else "**Assistant**", "", event.text]
    if event.kind == "thinking":
        return ["<details><summary>thinking</summary>", "", event.text, "", "</details>"]
    if event.kind == "injected":
        return [f"<details><summary>{event.reason}</summary>", "", fence(event.text), "", "</details>"]
    mark = "✗ " if event.is_error else ""
    head = f"- {mark}**{event.tool}** `{one_line(event.gist or '', 200).replace('`', '´')}`"
    out = [head]
    if event.kind == "agent":
        if event.text:
            out += ["", "  Prompt: " + one_line(event.text, 400)]
        if expand and event.events:
            # a sub-agent's work, quoted under its call (nested agents quote again)
            out += [""] + [("> " + line).rstrip() for line in _events(event.events, expand)]
    if event.result is not None:
        kept, more = fold(event.result, 6 if event.kind == "agent" else 3)
        text = "\n".join(kept) + (f"\n… {more} more lines" if more else "")
        out += ["", *("  " + line for line in fence(text).splitlines())]
    return out

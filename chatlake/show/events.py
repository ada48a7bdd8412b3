"""One conversation as a list of events, and the pure rules that shape each one for reading."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

# What a person typed (the kinds of `human_messages`), what the assistant wrote, and the rest.
HUMAN_KINDS = ("prompt", "command", "bash", "memory")
KINDS = (*HUMAN_KINDS, "reply", "thinking", "tool", "agent", "injected")

# The tools whose input has one field that says what the call did.
GIST_FIELDS = ("command", "file_path", "notebook_path", "pattern", "path", "url", "query", "description",
               "prompt", "skill", "subject")
AGENT_TOOLS = ("Task", "Agent")
FOLD_LINES = 4


@dataclass
class Event:
    """One thing in a conversation: a message, a reply, a tool call (with its result) or a sub-agent."""

    kind: str
    created_at: datetime | None
    text: str = ""
    tool: str | None = None          # tool calls: the tool's name
    call_id: str | None = None       # tool calls: the tool_use id (`tool_calls.tool_use_id`)
    gist: str | None = None          # tool calls: what the input says in one line
    input: dict | None = None        # tool calls: the input as the model wrote it
    result: str | None = None        # tool calls: the result's text; sub-agents: the final answer
    is_error: bool = False
    agent_id: str | None = None      # sub-agents: the id linking to their records
    reason: str | None = None        # injected text: why it is not a human message
    uuid: str | None = None
    events: list["Event"] = field(default_factory=list)  # a sub-agent's own events

    def to_dict(self) -> dict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        data["events"] = [e.to_dict() for e in self.events]
        return data


@dataclass
class Conversation:
    """A session (Claude Code) or an export conversation, with its events in order."""

    session_id: str
    source: str
    title: str | None
    project_path: str | None
    git_branch: str | None
    first_at: datetime | None
    last_at: datetime | None
    events: list[Event] = field(default_factory=list)

    @property
    def resume_command(self) -> str | None:
        """How to go on with it in Claude Code (only Claude Code sessions can be resumed)."""
        if self.source != "claude_code":
            return None
        return f"claude --resume {self.session_id}"

    def to_dict(self) -> dict:
        return {
            "session_id": self.session_id, "source": self.source, "title": self.title,
            "project_path": self.project_path, "git_branch": self.git_branch,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "resume_command": self.resume_command,
            "events": [e.to_dict() for e in self.events],
        }


def tool_gist(name: str, tool_input: object, width: int = 120) -> str:
    """The one line that says what a tool call did: its command, file path or pattern."""
    if not isinstance(tool_input, dict):
        return one_line(str(tool_input or ""), width)
    for key in GIST_FIELDS:
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            gist = value
            if key == "pattern" and isinstance(tool_input.get("path"), str):
                gist = f"{value} in {tool_input['path']}"
            return one_line(gist, width)
    if name == "TodoWrite" and isinstance(tool_input.get("todos"), list):
        todos = tool_input["todos"]
        return f"{len(todos)} todo{'s' if len(todos) != 1 else ''}"
    return one_line(json.dumps(tool_input, ensure_ascii=False, sort_keys=True), width) if tool_input else ""


def one_line(text: str, width: int = 120) -> str:
    """`text` on one line (runs of white space made one space), cut to `width` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def fold(text: str, lines: int = FOLD_LINES, width: int = 200) -> tuple[list[str], int]:
    """The first `lines` non-blank lines of a result (each cut to `width`), and how many more there were."""
    kept = [line.rstrip() for line in text.strip("\n").splitlines()]
    kept = [line if len(line) <= width else line[:width - 1] + "…" for line in kept]
    if len(kept) <= lines + 1:  # "… 1 more line" would take the line it saves
        return kept, 0
    return kept[:lines], len(kept) - lines


def result_text(content: object) -> str:
    """A tool result's text: a string, or the text of its blocks (images named, not inlined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                if block.get("type") == "text":
                    parts.append(str(block.get("text") or ""))
                elif block.get("type") == "image":
                    parts.append("[image]")
                elif block.get("type") == "tool_reference":
                    parts.append(f"[{block.get('tool_name') or 'tool reference'}]")
        return "\n".join(parts)
    return "" if content is None else str(content)


def visible(events: list[Event], *, thinking: bool = False, injected: bool = False) -> list[Event]:
    """The events a reader asked for: thinking only with `thinking`, injected text only with `injected`."""
    kept = []
    for event in events:
        if event.kind == "thinking" and not thinking or event.kind == "injected" and not injected:
            continue
        if event.events:
            event = Event(**{**event.__dict__, "events": visible(event.events, thinking=thinking, injected=injected)})
        kept.append(event)
    return kept

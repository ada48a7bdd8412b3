"""Which part of a conversation `get_session` returns: `count` human messages from `start` on, each
with what followed it (replies, tool calls) up to the next one."""

from __future__ import annotations

from dataclasses import dataclass

HUMAN_KINDS = ("prompt", "command", "bash", "memory")
TOOL_KINDS = ("tool", "agent")


@dataclass
class Window:
    events: list
    first: int | None  # the message index of the window's first human message
    last: int | None
    total: int  # human messages in the whole conversation


def positions(events: list, indexes: dict[str, int]) -> list[int | None]:
    """Each event's human-message index: the mart's `message_index` where the event's uuid has one,
    else the count of human messages before it (export messages keep other ids); None before the first."""
    out, current, seen = [], None, 0
    for event in events:
        if event.kind in HUMAN_KINDS:
            current = indexes.get(event.uuid, seen) if event.uuid else seen
            seen += 1
        out.append(current)
    return out


def window(events: list, indexes: dict[str, int], start: int, count: int, responses: bool = True,
           tools: bool = False) -> Window:
    """The events of human messages start .. start + count - 1 and what followed each; replies only
    with `responses`, tool calls and sub-agents only with `tools`."""
    at = positions(events, indexes)
    total = sum(1 for e in events if e.kind in HUMAN_KINDS)
    chosen = [e for e, i in zip(events, at) if i is not None and start <= i < start + count
              and (responses or e.kind != "reply") and (tools or e.kind not in TOOL_KINDS)]
    shown = [i for e, i in zip(events, at) if e.kind in HUMAN_KINDS and i is not None and start <= i < start + count]
    return Window(chosen, min(shown, default=None), max(shown, default=None), total)

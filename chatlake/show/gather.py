"""Read one conversation out of the warehouse, in order, as events.

What counts as a human message, and why other user text was not, is read from the dbt models
that decide it (`int_user_records_classified`, `int_export_messages_classified`); this module only
puts the records in order and pairs each tool call with its result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chatlake.show.events import AGENT_TOOLS, Conversation, Event, result_text, tool_gist

# Reasons (from the classifying model) of user text that the harness wrote: shown with --all.
INJECTED_REASONS = ("meta", "injected text", "compact summary")

_SESSION_COLUMNS = "session_id, source, title, project_path, git_branch, first_at, last_at"

_CLAUDE_CODE_RECORDS = """
    select
        lines.source_file,
        lines.byte_offset,
        lines.record_type,
        lines.uuid,
        lines.created_at,
        lines.agent_id,
        lines.is_sidechain,
        lines.line::varchar as line,
        classified.is_human,
        classified.exclusion_reason,
        classified.kind,
        classified.content
    from main.stg_claude_code__lines as lines
    left join main.int_user_records_classified as classified
        on classified.source_file = lines.source_file and classified.byte_offset = lines.byte_offset
    where lines.session_id = ? and lines.record_type in ('user', 'assistant', 'system')
"""

_EXPORT_MESSAGES = """
    select
        messages.position,
        messages.message_id,
        messages.role,
        messages.content_type,
        messages.is_hidden,
        classified.created_at,
        messages.text,
        classified.is_human,
        classified.exclusion_reason
    from main.stg_exports__messages as messages
    inner join main.int_export_messages_classified as classified
        on classified.source_kind = messages.source_kind
        and classified.conversation_id = messages.conversation_id
        and classified.position = messages.position
    where messages.conversation_id = ? and messages.source_kind = ?
    order by messages.position
"""

# ChatGPT's reasoning shows as thinking; the assistant's tool traffic as tool calls.
_EXPORT_THINKING = ("thoughts", "reasoning_recap")


@dataclass
class _Record:
    source_file: str
    byte_offset: int
    record_type: str
    uuid: str | None
    created_at: object
    agent_id: str | None
    is_sidechain: bool
    line: str
    is_human: bool | None
    exclusion_reason: str | None
    kind: str | None
    content: str | None


def session_row(con, session_id: str) -> Conversation:
    row = con.execute(f"select {_SESSION_COLUMNS} from main.sessions where session_id = ?", [session_id]).fetchone()
    return Conversation(*row)


def gather(con, session_id: str) -> Conversation:
    """The conversation `session_id` (a full id, as in `main.sessions`), every event in order."""
    conversation = session_row(con, session_id)
    if conversation.source == "claude_code":
        records = [_Record(*row) for row in con.execute(_CLAUDE_CODE_RECORDS, [session_id]).fetchall()]
        conversation.events = claude_code_events(records)
    else:
        rows = con.execute(_EXPORT_MESSAGES, [session_id, conversation.source]).fetchall()
        conversation.events = export_events(rows)
    return conversation


def claude_code_events(records: list[_Record]) -> list[Event]:
    """The main thread's events in file order, each sub-agent's records nested under the call that started it."""
    records = _in_order(_first_copies(records))
    main = [r for r in records if r.agent_id is None and not r.is_sidechain]
    by_agent: dict[str, list[_Record]] = {}
    for record in records:
        if record.agent_id is not None:
            by_agent.setdefault(record.agent_id, []).append(record)
    events = _thread_events(main, by_agent)
    return events


def _first_copies(records: list[_Record]) -> list[_Record]:
    """Each uuid once (a resumed session replays records): the copy that came first."""
    seen: set[str] = set()
    kept = []
    for record in sorted(records, key=lambda r: (r.created_at is None, r.created_at or 0, r.source_file, r.byte_offset)):
        if record.uuid is not None:
            if record.uuid in seen:
                continue
            seen.add(record.uuid)
        kept.append(record)
    return kept


def _in_order(records: list[_Record]) -> list[_Record]:
    """Within a file, the order it was written in; files in the order they began."""
    began: dict[str, tuple] = {}
    for record in records:
        key = (record.created_at is None, record.created_at or 0)
        began[record.source_file] = min(began.get(record.source_file, key), key)
    return sorted(records, key=lambda r: (began[r.source_file], r.source_file, r.byte_offset))


def _thread_events(records: list[_Record], by_agent: dict[str, list[_Record]],
                   replayed: set[str] | None = None) -> list[Event]:
    """One thread's events; `replayed`: the message ids of the parent's responses, which a resumed
    sub-agent writes again into its own file (FORMAT.md 6.4) and which are shown once, in the parent."""
    events: list[Event] = []
    calls: dict[str, Event] = {}
    seen: set[str] = set()
    for record in records:
        try:
            line = json.loads(record.line)
        except ValueError:
            continue
        message = line.get("message") if isinstance(line.get("message"), dict) else {}
        if record.record_type == "assistant":
            if isinstance(message.get("id"), str):
                if replayed is not None and message["id"] in replayed:
                    continue
                seen.add(message["id"])
            for block in _blocks(message.get("content")):
                event = _assistant_block(block, record)
                if event is None:
                    continue
                if event.call_id:
                    calls[event.call_id] = event
                events.append(event)
        elif record.record_type == "user":
            results = [b for b in _blocks(message.get("content")) if b.get("type") == "tool_result"]
            if results:
                for block in results:
                    _attach_result(calls.get(block.get("tool_use_id")), block, line, by_agent, seen)
            elif record.is_human:
                events.append(Event(record.kind or "prompt", record.created_at, record.content or "", uuid=record.uuid))
            elif record.exclusion_reason in INJECTED_REASONS:
                events.append(Event("injected", record.created_at, _user_text(message.get("content")),
                                    reason=record.exclusion_reason, uuid=record.uuid))
        elif record.record_type == "system" and line.get("subtype") == "compact_boundary":
            events.append(Event("injected", record.created_at, "conversation compacted", reason="compaction",
                                uuid=record.uuid))
    return events


def _blocks(content: object) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _user_text(content: object) -> str:
    return "\n".join(str(b.get("text") or "") for b in _blocks(content) if b.get("type") == "text")


def _assistant_block(block: dict, record: _Record) -> Event | None:
    kind = block.get("type")
    if kind == "text" and str(block.get("text") or "").strip():
        return Event("reply", record.created_at, str(block["text"]).strip(), uuid=record.uuid)
    if kind in ("thinking", "redacted_thinking"):
        text = str(block.get("thinking") or "").strip()
        return Event("thinking", record.created_at, text or "(thinking not recorded)", uuid=record.uuid)
    if kind in ("tool_use", "server_tool_use"):
        name = str(block.get("name") or "tool")
        tool_input = block.get("input") if isinstance(block.get("input"), dict) else {}
        call_id = block.get("id") if isinstance(block.get("id"), str) else None
        event = Event("agent" if name in AGENT_TOOLS else "tool", record.created_at, tool=name, call_id=call_id,
                      gist=tool_gist(name, tool_input), input=tool_input, uuid=record.uuid)
        if event.kind == "agent":
            event.text = str(tool_input.get("prompt") or "")
        return event
    return None


def _attach_result(call: Event | None, block: dict, line: dict, by_agent: dict[str, list[_Record]],
                   parent_responses: set[str]) -> None:
    if call is None:  # a result whose call is in no record we hold (a cut or resumed transcript)
        return
    call.result = result_text(block.get("content"))
    call.is_error = bool(block.get("is_error"))
    outcome = line.get("toolUseResult")
    if call.kind == "agent" and isinstance(outcome, dict) and isinstance(outcome.get("agentId"), str):
        call.agent_id = outcome["agentId"]
        call.events = _thread_events(by_agent.get(call.agent_id, []), {}, parent_responses)


def export_events(rows: list[tuple]) -> list[Event]:
    """An export conversation's visible branch: what the person typed, the answers, the rest as injected."""
    events = []
    for _pos, message_id, role, content_type, is_hidden, created_at, text, is_human, reason in rows:
        text = (text or "").strip()
        if is_human:
            events.append(Event("prompt", created_at, text, uuid=message_id))
        elif role == "assistant" and content_type in _EXPORT_THINKING:
            if text:
                events.append(Event("thinking", created_at, text, uuid=message_id))
        elif role == "assistant" and not is_hidden and content_type in (None, "text", "multimodal_text"):
            if text:
                events.append(Event("reply", created_at, text, uuid=message_id))
        elif text:
            events.append(Event("injected", created_at, text, reason=reason if role in ("user", "human")
                                else f"{role or 'unknown'} message", uuid=message_id))
    return events

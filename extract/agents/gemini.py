"""Gemini CLI's session files as raw rows, without I/O (FORMAT-NOTES.md 2.3-2.4).

A `.jsonl` log (v0.39 on) is a metadata line, then records appended as the session changes: a
message (any object with a string `id`, written again whole each time it changes), `{"$set": …}`
(a metadata update; `$set.messages` replaces every message) and `{"$rewindTo": id}` (drops that
message and the ones after it). A `.json` document (up to v0.38) is one `ConversationRecord`. Both
become the same rows; which message survives is decided in SQL (staging and intermediate models).
"""

from __future__ import annotations

import json
import os
from typing import Iterator

from chatlake.extract.escapes import fix_lone_surrogates
from chatlake.extract.lines import json_error

# (item_index, session_id, record_kind, message_id, message_type, record_timestamp, record JSON)
Row = tuple[int, str, str, str | None, str | None, str | None, str]


def session_from_path(path: str) -> str:
    """A session id for a file whose records name none: its name without the suffix."""
    return os.path.splitext(os.path.basename(path))[0]


def session_id_of_line(line: bytes) -> str | None:
    """The `sessionId` of a metadata line (a `.jsonl` log's first line)."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and isinstance(value.get("sessionId"), str):
        return value["sessionId"]
    return None


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _message(index: int, session_id: str, message: dict, kind: str = "message", text: str | None = None) -> Row:
    return (index, session_id, kind, _text(message.get("id")), _text(message.get("type")),
            _text(message.get("timestamp")), text if text is not None else _dumps(message))


def _messages(first: int, session_id: str, messages: list) -> Iterator[Row]:
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            yield _message(first + i, session_id, message)


def record_rows(value: dict, session_id: str, text: str | None = None) -> Iterator[Row]:
    """The rows one `.jsonl` record becomes. A record that is one message keeps `text`, its line
    as written, when given: encoding the parsed message again took a third of a 1 GiB tree's landing."""
    if "$rewindTo" in value:
        yield (0, session_id, "rewind", _text(value["$rewindTo"]), None, None, _dumps(value))
    elif "$set" in value:
        update = value["$set"] if isinstance(value["$set"], dict) else {}
        yield (0, session_id, "set", None, None, _text(update.get("lastUpdated")), _dumps(value))
        if isinstance(update.get("messages"), list):
            yield (1, session_id, "checkpoint", None, None, None, "{}")
            yield from _messages(2, session_id, update["messages"])
    elif isinstance(value.get("sessionId"), str) and ("projectHash" in value or "messages" in value):
        # A metadata line; a whole legacy record on one line carries its messages, which replace any before.
        messages = value.get("messages")
        meta = {k: v for k, v in value.items() if k != "messages"}
        yield (0, session_id, "metadata", None, None, _text(value.get("startTime")), _dumps(meta))
        if isinstance(messages, list):
            yield (1, session_id, "checkpoint", None, None, None, "{}")
            yield from _messages(2, session_id, messages)
    elif isinstance(value.get("id"), str):
        yield _message(0, session_id, value, text=text)
    else:
        yield (0, session_id, "other", None, None, None, _dumps(value))


def line_rows(text: str, session_id: str) -> Iterator[Row | str]:
    """The rows of one `.jsonl` line, or the reason it is refused (a str). A lone surrogate escape
    (JavaScript's JSON.stringify writes one for a string cut inside an emoji) reads as U+FFFD:
    DuckDB's JSON refuses it, and Python's text of it cannot be encoded."""
    text = fix_lone_surrogates(text)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        yield json_error(text)
        return
    if not isinstance(value, dict):
        yield "not a JSON object"
        return
    yield from record_rows(value, session_id, text)


def document_rows(data: bytes, path: str) -> tuple[list[Row], str | None]:
    """The rows of a `.json` session document, or the reason it is refused."""
    try:
        if b"\\ud" in data or b"\\uD" in data:  # lone surrogate escapes read as U+FFFD, as in line_rows
            data = fix_lone_surrogates(data.decode("utf-8")).encode("utf-8")
        value = json.loads(data)
    except UnicodeDecodeError as exc:
        return [], f"invalid UTF-8 at byte {exc.start}"
    except (ValueError, RecursionError):
        return [], "invalid JSON document: " + json_error(data.decode("utf-8", "replace")).removeprefix("invalid JSON: ")
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        return [], "not a Gemini CLI session document (no `messages` list)"
    session_id = _text(value.get("sessionId")) or session_from_path(path)
    meta = {k: v for k, v in value.items() if k != "messages"}
    rows: list[Row] = [(0, session_id, "metadata", None, None, _text(value.get("startTime")), _dumps(meta))]
    rows.extend(_messages(1, session_id, value["messages"]))
    return rows, None

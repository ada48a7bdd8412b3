"""What the export parsers produce: one conversation header and the messages of its visible branch."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal


class RejectedConversation(ValueError):
    """A conversation the parser cannot use; the message is the reason stored in the raw layer."""


@dataclass(frozen=True)
class ExportMessage:
    """One message on the visible branch, with the facts the human-message rule needs (decided in dbt)."""

    position: int
    message_id: str
    parent_id: str | None
    role: str | None
    content_type: str | None
    is_hidden: bool
    created_at: float | None
    text: str
    image_count: int
    attachment_count: int
    message: dict


@dataclass
class ExportConversation:
    source_kind: str
    conversation_id: str
    title: str | None
    created_at: float | None
    updated_at: float | None
    messages: list[ExportMessage] = field(default_factory=list)


def epoch(value) -> float | None:
    """Seconds since the epoch from a Unix number or an ISO-8601 string (naive means UTC); None if
    neither, or not a finite number. Whether it is a plausible time is staging's rule
    (macros/plausible_time.sql)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any double
            return None
        return seconds if math.isfinite(seconds) else None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    return None


def text_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def conversation_id(conv: dict, *keys: str) -> str:
    """The first non-empty string id among `keys`, or a rejection."""
    for key in keys:
        value = conv.get(key)
        if isinstance(value, str) and value:
            return value
    raise RejectedConversation(f"missing conversation id ({' or '.join(keys)})")


def new_conversation(conv, source_kind: str, id_keys: tuple[str, ...], body_key: str, body_type: type,
                     title_keys: tuple[str, ...], created_key: str, updated_key: str):
    """The header of one conversation object and its message container (`mapping` or `chat_messages`);
    raises RejectedConversation when either is unusable."""
    if not isinstance(conv, dict):
        raise RejectedConversation("not a JSON object")
    cid = conversation_id(conv, *id_keys)
    body = conv.get(body_key)
    if not isinstance(body, body_type):
        raise RejectedConversation(f"missing {body_key}")
    header = ExportConversation(
        source_kind=source_kind,
        conversation_id=cid,
        title=next((t for t in (text_or_none(conv.get(k)) for k in title_keys) if t), None),
        created_at=epoch(conv.get(created_key)),
        updated_at=epoch(conv.get(updated_key)),
    )
    return header, body

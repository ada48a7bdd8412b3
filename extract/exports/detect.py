"""Tell a ChatGPT conversation from a Claude.ai one by its content, never by a file name."""

from __future__ import annotations

from enum import Enum


class SourceKind(str, Enum):
    CHATGPT = "chatgpt"
    CLAUDE_AI = "claude_ai"


def detect_kind(conversation) -> SourceKind | None:
    """ChatGPT conversations carry a `mapping` of nodes; Claude.ai ones a `chat_messages` list."""
    if not isinstance(conversation, dict):
        return None
    if isinstance(conversation.get("mapping"), dict):
        return SourceKind.CHATGPT
    if isinstance(conversation.get("chat_messages"), list):
        return SourceKind.CLAUDE_AI
    return None


def is_export_name(name: str) -> bool:
    """Inside a folder, only these names are opened as possible exports (the kind still comes from content)."""
    lowered = name.lower()
    return lowered.endswith(".zip") or (lowered.startswith("conversations") and lowered.endswith(".json"))


def is_conversations_member(name: str) -> bool:
    """A member of an export zip that holds conversations (`conversations.json`, batches like `conversations-0001.json`)."""
    base = name.rsplit("/", 1)[-1].lower()
    return base.startswith("conversations") and base.endswith(".json") and not base.startswith("._")

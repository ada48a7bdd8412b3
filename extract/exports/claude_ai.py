"""Claude.ai `conversations.json`: the visible branch of each conversation (FORMAT.md section 9)."""

from __future__ import annotations

from chatlake.extract.exports.records import ExportConversation, ExportMessage, epoch, new_conversation, text_or_none

SOURCE_KIND = "claude_ai"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp")


def _parent(message: dict) -> str | None:
    parent = message.get("parent_message_uuid")
    return parent if isinstance(parent, str) and parent else None


def visible_branch(messages: list, leaf_uuid=None) -> list[dict]:
    """The messages the conversation shows, oldest first. Without `parent_message_uuid` the list is
    already linear; with it, walk from the leaf (`leaf_uuid`, else the latest leaf) to the root."""
    items = [m for m in messages if isinstance(m, dict)]
    if not any(_parent(m) for m in items):
        return items
    by_uuid = {m["uuid"]: m for m in items if isinstance(m.get("uuid"), str)}
    if not (isinstance(leaf_uuid, str) and leaf_uuid in by_uuid):
        parents = {_parent(m) for m in items}
        leaves = [(i, m) for i, m in enumerate(items) if m.get("uuid") in by_uuid and m["uuid"] not in parents]
        if not leaves:
            return []
        # latest created_at wins; on a tie (or no time) the later one in the list
        _, leaf = max(leaves, key=lambda im: (epoch(im[1].get("created_at")) or float("-inf"), im[0]))
        leaf_uuid = leaf["uuid"]
    path: list[dict] = []
    seen: set[str] = set()
    uuid = leaf_uuid
    while uuid in by_uuid and uuid not in seen:
        seen.add(uuid)
        path.append(by_uuid[uuid])
        uuid = _parent(by_uuid[uuid])
    path.reverse()
    return path


def typed_text(message: dict) -> str:
    """`text` when filled, else the text blocks joined; attachments' extracted content is not typed."""
    text = message.get("text")
    if isinstance(text, str) and text:
        return text
    blocks = message.get("content") if isinstance(message.get("content"), list) else []
    return "\n".join(b["text"] for b in blocks
                     if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str) and b["text"])


def image_count(message: dict) -> int:
    """Uploaded images (`files_v2` when present, else `files`; the export holds no image bytes)."""
    files = message.get("files_v2") if isinstance(message.get("files_v2"), list) else message.get("files")
    count = 0
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, dict):
            continue
        name = f.get("file_name") if isinstance(f.get("file_name"), str) else ""
        if f.get("file_kind") == "image" or name.lower().endswith(IMAGE_SUFFIXES):
            count += 1
    return count


def parse_conversation(conv) -> ExportConversation:
    """One conversation object of the export, linearised; raises RejectedConversation."""
    result, messages = new_conversation(conv, SOURCE_KIND, ("uuid", "id"), "chat_messages", list,
                                        ("name", "title"), "created_at", "updated_at")
    cid = result.conversation_id
    previous = None
    for position, message in enumerate(visible_branch(messages, conv.get("current_leaf_message_uuid"))):
        message_id = text_or_none(message.get("uuid")) or f"{cid}:{position}"
        attachments = message.get("attachments")
        result.messages.append(ExportMessage(
            position=position,
            message_id=message_id,
            parent_id=_parent(message) or previous,
            role=text_or_none(message.get("sender")),
            content_type=None,
            is_hidden=False,
            created_at=epoch(message.get("created_at")),
            text=typed_text(message),
            image_count=image_count(message),
            attachment_count=len(attachments) if isinstance(attachments, list) else 0,
            message=message,
        ))
        previous = message_id
    return result

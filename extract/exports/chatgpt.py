"""ChatGPT `conversations.json`: the visible branch of each conversation (FORMAT.md section 8)."""

from __future__ import annotations

from chatlake.extract.exports.records import ExportConversation, ExportMessage, epoch, new_conversation, text_or_none

SOURCE_KIND = "chatgpt"


def _node_time(node) -> float:
    message = node.get("message") if isinstance(node, dict) else None
    created = epoch(message.get("create_time")) if isinstance(message, dict) else None
    return float("-inf") if created is None else created


def _children(mapping: dict, node) -> list[str]:
    children = node.get("children") if isinstance(node, dict) else None
    return [c for c in children if isinstance(c, str) and c in mapping] if isinstance(children, list) else []


def fallback_leaf(mapping: dict) -> str | None:
    """When `current_node` is missing or unknown: the leaf with the latest `create_time`, else the
    end of a walk from the first root that always takes the last child."""
    leaves = [node_id for node_id, node in mapping.items() if not _children(mapping, node)]
    timed = [node_id for node_id in leaves if _node_time(mapping[node_id]) != float("-inf")]
    if timed:
        return max(timed, key=lambda node_id: _node_time(mapping[node_id]))
    roots = [node_id for node_id, node in mapping.items()
             if not isinstance(node, dict) or node.get("parent") not in mapping]
    node_id = roots[0] if roots else next(iter(mapping), None)
    seen: set[str] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        children = _children(mapping, mapping[node_id])
        if not children:
            return node_id
        node_id = children[-1]
    return node_id


def active_path(mapping: dict, current_node) -> list[str]:
    """Node ids from the root to `current_node` by following `parent` (never by sorting on time);
    a cycle or a dangling parent ends the walk."""
    leaf = current_node if isinstance(current_node, str) and current_node in mapping else fallback_leaf(mapping)
    path: list[str] = []
    seen: set[str] = set()
    node_id = leaf
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        path.append(node_id)
        node = mapping[node_id]
        node_id = node.get("parent") if isinstance(node, dict) else None
    path.reverse()
    return path


def message_facts(position: int, node_id: str, parent_id: str | None, message: dict) -> ExportMessage:
    """The typed text (string parts), image pointers and visibility of one message."""
    author = message.get("author") if isinstance(message.get("author"), dict) else {}
    content = message.get("content") if isinstance(message.get("content"), dict) else {}
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    parts = content.get("parts") if isinstance(content.get("parts"), list) else []
    texts = [p for p in parts if isinstance(p, str) and p]
    images = [p for p in parts if isinstance(p, dict) and p.get("content_type") == "image_asset_pointer"]
    attachments = metadata.get("attachments")
    return ExportMessage(
        position=position,
        message_id=text_or_none(message.get("id")) or node_id,
        parent_id=parent_id,
        role=text_or_none(author.get("role")),
        content_type=text_or_none(content.get("content_type")),
        is_hidden=metadata.get("is_visually_hidden_from_conversation") is True,
        created_at=epoch(message.get("create_time")),
        text="\n".join(texts),
        image_count=len(images),
        attachment_count=len(attachments) if isinstance(attachments, list) else 0,
        message=message,
    )


def parse_conversation(conv) -> ExportConversation:
    """One conversation object of the export, linearised; raises RejectedConversation."""
    result, mapping = new_conversation(conv, SOURCE_KIND, ("id", "conversation_id"), "mapping", dict,
                                       ("title",), "create_time", "update_time")
    parent_id = None
    for node_id in active_path(mapping, conv.get("current_node")):
        node = mapping[node_id]
        message = node.get("message") if isinstance(node, dict) else None
        if not isinstance(message, dict):
            continue  # the client-created root and other empty nodes
        facts = message_facts(len(result.messages), node_id, parent_id, message)
        result.messages.append(facts)
        parent_id = facts.message_id
    return result

"""Generate ChatGPT and Claude.ai data exports, with the human messages they contain.

Shapes follow ../shared/corpus/FORMAT.md sections 8 and 9: ChatGPT node mappings with a
client-created root, custom instructions (`user_editable_context`), hidden messages, edits that
leave an abandoned branch, timestamps that are null or out of order along the visible branch,
image uploads and a missing `current_node`; Claude.ai `chat_messages` with text in `text` or in
content blocks, attachments with extracted content, image files, `parent_message_uuid` trees with
an edited branch, and exports split into several batch zips.
"""

from __future__ import annotations

import copy
import json
import random
import uuid as uuidlib
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chatlake.example.transcripts import WORDS

CLAUDE_ROOT = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class ExpectedExportMessage:
    message_id: str
    conversation_id: str
    content: str
    image_count: int


@dataclass
class GeneratedConversation:
    """One conversation object and the human messages of its visible branch, in order."""

    conversation: dict
    expected: list[ExpectedExportMessage] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.conversation.get("id") or self.conversation["uuid"]


class ExportGenerator:
    def __init__(self, seed: int = 7, start: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.clock = start or datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)

    # -- helpers --------------------------------------------------------------------
    def _uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def _tick(self, seconds: float = 30.0) -> datetime:
        self.clock += timedelta(seconds=self.rng.uniform(1.0, seconds))
        return self.clock

    def _sentence(self, n: int = 8) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    # -- ChatGPT --------------------------------------------------------------------
    def _gpt_node(self, mapping: dict, parent: str, role: str, content: dict, created: float | None,
                  metadata: dict | None = None) -> str:
        node_id = self._uuid()
        mapping[node_id] = {
            "id": node_id,
            "message": {
                "id": node_id,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": created,
                "update_time": None,
                "content": content,
                "status": "finished_successfully",
                "end_turn": role == "assistant" or None,
                "weight": 1.0,
                "metadata": metadata or {},
                "recipient": "all",
                "channel": None,
            },
            "parent": parent,
            "children": [],
        }
        mapping[parent]["children"].append(node_id)
        return node_id

    def _gpt_turn(self, gen: GeneratedConversation, parent: str, text: str, *, image: bool = False,
                  null_time: bool = False, answer_before_prompt: bool = False) -> str:
        mapping = gen.conversation["mapping"]
        prompt_time = self._tick().timestamp()
        if image:
            content = {"content_type": "multimodal_text", "parts": [
                {"content_type": "image_asset_pointer", "asset_pointer": f"file-service://file-{self._uuid()[:12]}",
                 "size_bytes": 48213, "width": 640, "height": 480, "metadata": {}},
                text,
            ]}
        else:
            content = {"content_type": "text", "parts": [text]}
        user = self._gpt_node(mapping, parent, "user", content, None if null_time else prompt_time)
        gen.expected.append(ExpectedExportMessage(user, gen.id, text.strip(), 1 if image else 0))
        # the answer can predate the prompt on the visible branch (edits): never sort by time
        answer_time = prompt_time - 5 if answer_before_prompt else self._tick().timestamp()
        answer = self._gpt_node(mapping, user, "assistant", {"content_type": "text", "parts": [self._sentence(20)]},
                                answer_time, {"model_slug": "gpt-4o"})
        return answer

    def chatgpt(self, prompts: int = 4, *, title: str | None = "auto", edit: bool = False, hidden: bool = False,
                image: bool = False, null_time: bool = False, current_node: bool = True,
                custom_instructions: bool = True) -> GeneratedConversation:
        """One ChatGPT conversation; `title="auto"` generates a title, None writes a null one."""
        cid = self._uuid()
        created = self._tick()
        root = "client-created-root"
        conv = {
            "id": cid, "conversation_id": cid,
            "title": self._sentence(4) if title == "auto" else title,
            "create_time": created.timestamp(), "update_time": None,
            "mapping": {root: {"id": root, "message": None, "parent": None, "children": []}},
            "current_node": None, "default_model_slug": "gpt-4o", "is_archived": False,
            "safe_urls": [], "moderation_results": [],
        }
        gen = GeneratedConversation(conv)
        mapping = conv["mapping"]
        parent = self._gpt_node(mapping, root, "system", {"content_type": "text", "parts": [""]}, None,
                                {"is_visually_hidden_from_conversation": True})
        if custom_instructions:
            parent = self._gpt_node(mapping, parent, "user", {
                "content_type": "user_editable_context",
                "user_profile": "I write data pipelines in Python.",
                "user_instructions": "Answer briefly.",
            }, None, {"is_visually_hidden_from_conversation": True, "user_context_message_data": {}})
        for i in range(prompts):
            if hidden and i == 1:
                parent = self._gpt_node(mapping, parent, "user", {"content_type": "text", "parts": [
                    "Context the client injected, not typed by the user"]}, self._tick().timestamp(),
                    {"is_visually_hidden_from_conversation": True})
            if edit and i == 1:
                # the first version of this prompt and its answer stay behind as an inactive branch
                abandoned = self._gpt_node(mapping, parent, "user", {"content_type": "text", "parts": [
                    "Abandoned wording of the question"]}, self._tick().timestamp())
                self._gpt_node(mapping, abandoned, "assistant", {"content_type": "text", "parts": [
                    self._sentence(10)]}, self._tick().timestamp())
            parent = self._gpt_turn(gen, parent, self._sentence(), image=image and i == 1,
                                    null_time=null_time and i == 0, answer_before_prompt=edit and i == 1)
        conv["update_time"] = self._tick().timestamp()
        if current_node:
            conv["current_node"] = parent
        else:
            del conv["current_node"]
        return gen

    def continue_chatgpt(self, gen: GeneratedConversation, prompts: int = 2) -> GeneratedConversation:
        """The same conversation, later: more turns on its visible branch and a newer update_time."""
        later = GeneratedConversation(copy.deepcopy(gen.conversation), list(gen.expected))
        parent = later.conversation["current_node"]
        for _ in range(prompts):
            parent = self._gpt_turn(later, parent, self._sentence())
        later.conversation["current_node"] = parent
        later.conversation["update_time"] = self._tick().timestamp()
        return later

    # -- Claude.ai ------------------------------------------------------------------
    def _iso(self, when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"

    def _claude_message(self, sender: str, text: str, parent: str | None, *, blocks_only: bool = False,
                        attachment: bool = False, image: bool = False) -> dict:
        when = self._iso(self._tick())
        block = {"type": "text", "text": text, "citations": [], "start_timestamp": when, "stop_timestamp": when}
        message = {
            "uuid": self._uuid(), "sender": sender, "text": "" if blocks_only else text, "content": [block],
            "created_at": when, "updated_at": when,
            "attachments": [{"file_name": "notes.txt", "file_size": 120, "file_type": "txt",
                             "extracted_content": "Pasted log lines that the user did not type"}] if attachment else [],
            "files": [{"file_name": "screenshot.png"}] if image else [],
        }
        if parent is not None:
            message["parent_message_uuid"] = parent
        return message

    def claude_ai(self, prompts: int = 4, *, title: str | None = "auto", tree: bool = False, edit: bool = False,
                  image: bool = False) -> GeneratedConversation:
        """One Claude.ai conversation; `tree` writes `parent_message_uuid` (needed for `edit`)."""
        cid = self._uuid()
        created = self._tick()
        conv = {"uuid": cid, "name": self._sentence(4) if title == "auto" else title, "summary": "",
                "created_at": self._iso(created), "updated_at": None, "account": {"uuid": "acct-1"},
                "chat_messages": []}
        gen = GeneratedConversation(conv)
        messages = conv["chat_messages"]
        parent = CLAUDE_ROOT if tree else None
        for i in range(prompts):
            if edit and i == 1:
                abandoned = self._claude_message("human", "Abandoned wording of the question", parent)
                messages += [abandoned, self._claude_message("assistant", " " + self._sentence(8), abandoned["uuid"])]
            text = self._sentence()
            human = self._claude_message("human", text, parent, blocks_only=i == 2, attachment=i == 1,
                                         image=image and i == 0)
            gen.expected.append(ExpectedExportMessage(human["uuid"], cid, text, 1 if image and i == 0 else 0))
            answer = self._claude_message("assistant", " " + self._sentence(16), human["uuid"] if tree else None)
            messages += [human, answer]
            parent = answer["uuid"] if tree else None
        conv["updated_at"] = self._iso(self._tick())
        return gen


def write_conversations(path: Path, conversations: list[GeneratedConversation]) -> Path:
    """A `conversations.json` (the list of conversation objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([g.conversation for g in conversations], ensure_ascii=False), encoding="utf-8")
    return path


def write_zip(path: Path, conversations: list[GeneratedConversation], extra: dict[str, str] | None = None) -> Path:
    """An export zip as downloaded: `conversations.json` beside the other files of an export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps([g.conversation for g in conversations]))
        for name, text in (extra or {"user.json": '{"id": "user-1"}'}).items():
            archive.writestr(name, text)
    return path


def write_batches(folder: Path, conversations: list[GeneratedConversation], batches: int) -> list[Path]:
    """A Claude.ai export split into `batches` zips named like the real ones."""
    size = -(-len(conversations) // batches)
    return [
        write_zip(folder / f"data-2025-06-01-09-00-00-batch-{n:04d}.zip", conversations[n * size:(n + 1) * size],
                  {"users.json": "[]", "projects.json": "[]"})
        for n in range(batches)
    ]

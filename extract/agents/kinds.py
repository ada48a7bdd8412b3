"""Which tool wrote a file, told from its path alone (where each keeps its files: core.settings)."""

from __future__ import annotations

import os
import re

from chatlake.core.kinds import CLAUDE_CODE, CODEX, GEMINI_CLI

# Workflow journals share the .jsonl suffix but hold run events, not transcript records.
NOT_TRANSCRIPTS = frozenset({"journal.jsonl"})
# rollout-2026-02-23T12-54-34-<uuid>.jsonl; before mid-2025 the folder was flat, same name.
_ROLLOUT = re.compile(r"^rollout-.*\.jsonl$")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def transcript_kind(path: str) -> str | None:
    """The tool whose transcript `path` is (claude_code, codex, gemini_cli), or None for no transcript.

    Codex names every rollout `rollout-*.jsonl`. Gemini CLI keeps its sessions in a `chats` folder:
    `chats/session-*.json` (up to v0.38), `chats/session-*.jsonl` (v0.39 on) and, for a subagent,
    `chats/<parent session>/<session>.jsonl`. Claude Code's projects hold no `chats` folder, so any
    other `.jsonl` is Claude Code's.
    """
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path))
    if name.endswith(".jsonl"):
        if _ROLLOUT.match(name):
            return CODEX
        if parent == "chats" or os.path.basename(os.path.dirname(os.path.dirname(path))) == "chats":
            return GEMINI_CLI
        return None if name in NOT_TRANSCRIPTS else CLAUDE_CODE
    if name.endswith(".json") and name.startswith("session-") and parent == "chats":
        return GEMINI_CLI
    return None


def rollout_name(path: str) -> str:
    """What names a Codex rollout wherever it lies: archiving moves the file, keeping its name."""
    return os.path.basename(path)


def is_archived(path: str) -> bool:
    return os.path.basename(os.path.dirname(path)) == "archived_sessions"


def session_from_name(path: str) -> str | None:
    """The thread uuid in a rollout's (or a Gemini subagent's) file name, when there is one."""
    found = _UUID.findall(os.path.basename(path))
    return found[-1].lower() if found else None

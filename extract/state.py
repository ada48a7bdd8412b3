"""Decide, from one stat and the landed state, what to do with each file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

# How many leading bytes identify a file's content. Claude Code only appends, so a
# change here means the file was replaced, not extended.
HEAD_BYTES = 4096


class Action(str, Enum):
    NEW = "new"
    APPENDED = "appended"
    UNCHANGED = "unchanged"
    REWRITTEN = "rewritten"
    CHECK = "check"  # same size, newer mtime: compare the head before deciding


@dataclass(frozen=True)
class LandedState:
    """What an earlier load recorded for one file."""

    path: str
    size: int
    mtime_ns: int
    landed_offset: int
    landed_lines: int
    head_len: int
    head_sha: str
    first_load_id: int = 0
    last_load_id: int = 0  # the last load that added or replaced lines of the file


def fingerprint(head: bytes) -> str:
    """Fingerprint of a file's first bytes."""
    return hashlib.sha256(head).hexdigest()


def plan(size: int, mtime_ns: int, landed: LandedState | None) -> Action:
    """Classify a file from its stat alone; only CHECK and APPENDED need the head read."""
    if landed is None:
        return Action.NEW
    if size < landed.landed_offset or size < landed.head_len:
        return Action.REWRITTEN
    if size == landed.size and mtime_ns == landed.mtime_ns:
        return Action.UNCHANGED
    if size == landed.size:
        return Action.CHECK
    return Action.APPENDED


def head_matches(head: bytes, landed: LandedState) -> bool:
    """True when the file still starts with the bytes fingerprinted at the last load."""
    return len(head) >= landed.head_len and fingerprint(head[: landed.head_len]) == landed.head_sha

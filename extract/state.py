"""Decide, from one stat and the landed state, what to do with each file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

# How many leading bytes identify a file's content. Claude Code only appends, so a
# change here means the file was replaced, not extended.
HEAD_BYTES = 4096
# How many bytes before the landed offset are fingerprinted too: a rewrite that keeps the head
# (same-size edits, or a copy that shares the first lines and grows) changes what was landed last.
TAIL_BYTES = 4096


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
    tail_sha: str | None = None  # of the TAIL_BYTES before landed_offset; None from loads before it was kept


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


def tail_start(landed_offset: int) -> int:
    """Where the fingerprinted tail of what was landed up to `landed_offset` begins."""
    return max(0, landed_offset - TAIL_BYTES)


def tail_matches(tail: bytes, landed: LandedState) -> bool:
    """True when the bytes before the landed offset are still the ones landed (or were never fingerprinted)."""
    return landed.tail_sha is None or fingerprint(tail) == landed.tail_sha


def head_matches(head: bytes, landed: LandedState) -> bool:
    """True when the file still starts with the bytes fingerprinted at the last load."""
    return len(head) >= landed.head_len and fingerprint(head[: landed.head_len]) == landed.head_sha

"""Decide, from what is landed, whether a conversation of a new export is landed again."""

from __future__ import annotations

from enum import Enum

MISSING = object()


class Verdict(str, Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # same update time, or an older export of it


def judge(landed_updated_at, updated_at: float | None) -> Verdict:
    """`landed_updated_at` is MISSING for a conversation never landed, else its landed update time
    (None when the export had none): only a strictly newer update time replaces it."""
    if landed_updated_at is MISSING:
        return Verdict.NEW
    if updated_at is not None and (landed_updated_at is None or updated_at > landed_updated_at):
        return Verdict.UPDATED
    return Verdict.UNCHANGED


def file_changed(size: int, mtime_ns: int, landed: tuple[int, int] | None) -> bool:
    """An export file is read again unless its size and mtime are the ones of its last load."""
    return landed is None or landed != (size, mtime_ns)

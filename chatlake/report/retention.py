"""Which sessions only chatlake still holds, and which Claude Code will delete soon.

Claude Code deletes a transcript whose file has not changed for `cleanupPeriodDays` (30 unless
`~/.claude/settings.json` says otherwise) when it starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

DEFAULT_CLEANUP_DAYS = 30
SOON_DAYS = 7


def cleanup_period_days(settings_text: str | None) -> int:
    """`cleanupPeriodDays` from the text of Claude Code's settings.json, else the default (30)."""
    if not settings_text:
        return DEFAULT_CLEANUP_DAYS
    try:
        value = json.loads(settings_text).get("cleanupPeriodDays")
    except (ValueError, AttributeError):
        return DEFAULT_CLEANUP_DAYS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return DEFAULT_CLEANUP_DAYS
    return int(value)


def read_cleanup_period(claude_dir: Path) -> int:
    try:
        return cleanup_period_days((claude_dir / "settings.json").read_text(encoding="utf-8"))
    except OSError:
        return DEFAULT_CLEANUP_DAYS


@dataclass(frozen=True)
class HeldSession:
    session_id: str
    title: str | None
    project_path: str | None
    last_at: datetime | None
    source_file: str
    modified_at: datetime | None  # the transcript's mtime when chatlake last read it
    deleted: bool
    deletes_at: datetime | None   # when Claude Code's cleanup will take it (None: already gone)


def classify(rows: list[tuple], now: datetime, period_days: int, exists: Callable[[str], bool]) -> list[HeldSession]:
    """Each session (id, title, project, last_at, source_file, modified_at) with whether its transcript
    is gone and when the cleanup will take it."""
    held = []
    for session_id, title, project_path, last_at, source_file, modified_at in rows:
        gone = not exists(source_file)
        basis = modified_at or last_at
        deletes_at = None if gone or basis is None else basis + timedelta(days=period_days)
        held.append(HeldSession(session_id, title, project_path, last_at, source_file, modified_at, gone, deletes_at))
    return held


def deleted(held: list[HeldSession]) -> list[HeldSession]:
    """Sessions whose transcript is gone from disk: only chatlake holds them now, newest first."""
    return sorted((h for h in held if h.deleted), key=_newest_first)


def expiring(held: list[HeldSession], now: datetime, days: int = SOON_DAYS) -> list[HeldSession]:
    """Sessions the cleanup will delete within `days`, soonest first."""
    soon = [h for h in held if h.deletes_at is not None and h.deletes_at <= now + timedelta(days=days)]
    return sorted(soon, key=lambda h: h.deletes_at)


def _newest_first(h: HeldSession) -> tuple:
    return (h.last_at is None, -(h.last_at.timestamp() if h.last_at else 0))

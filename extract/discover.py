"""Find Claude Code transcript files under source roots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# Workflow journals share the .jsonl suffix but hold run events, not transcript records.
NOT_TRANSCRIPTS = frozenset({"journal.jsonl"})


@dataclass(frozen=True)
class FileStat:
    """A transcript file as seen by one stat call."""

    path: str
    size: int
    mtime_ns: int


def default_roots(environ: dict[str, str] | None = None) -> list[Path]:
    """`~/.claude/projects` plus `projects/` under each `$CLAUDE_CONFIG_DIR` entry."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    roots = [home / ".claude" / "projects"]
    for entry in (env.get("CLAUDE_CONFIG_DIR") or "").split(","):
        entry = entry.strip()
        if entry:
            roots.append(Path(entry).expanduser() / "projects")
    seen: set[str] = set()
    unique = []
    for root in roots:
        key = os.path.abspath(root)
        if key not in seen:
            seen.add(key)
            unique.append(Path(key))
    return unique


def is_transcript_name(name: str) -> bool:
    """True for a file name that can hold transcript records."""
    return name.endswith(".jsonl") and name not in NOT_TRANSCRIPTS


def discover(
    roots: list[Path], other: Callable[[str], bool] | None = None, others: dict[str, FileStat] | None = None,
) -> tuple[list[FileStat], list[tuple[str, str]]]:
    """Walk every root recursively; return the transcript files and (path, error) for unreadable places.

    Files whose name `other` accepts (export candidates) are stat'ed into `others` during the
    same walk, so a second kind of input does not cost a second walk of a large tree.
    """
    found: dict[str, FileStat] = {}
    errors: list[tuple[str, str]] = []

    def walk(directory: str) -> None:
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            walk(entry.path)
                        elif is_transcript_name(entry.name) and entry.is_file():
                            st = entry.stat()
                            found[entry.path] = FileStat(entry.path, st.st_size, st.st_mtime_ns)
                        elif other is not None and other(entry.name) and entry.is_file():
                            st = entry.stat()
                            others[entry.path] = FileStat(entry.path, st.st_size, st.st_mtime_ns)
                    except OSError as exc:
                        errors.append((entry.path, exc.strerror or str(exc)))
        except FileNotFoundError:
            return
        except OSError as exc:
            errors.append((directory, exc.strerror or str(exc)))

    for root in roots:
        root_path = os.path.abspath(root)
        if os.path.isfile(root_path):
            if root_path.endswith(".jsonl"):
                st = os.stat(root_path)
                found[root_path] = FileStat(root_path, st.st_size, st.st_mtime_ns)
            continue
        walk(root_path)
    return sorted(found.values(), key=lambda f: f.path), errors


@dataclass(frozen=True)
class Walk:
    """One walk of the roots: transcripts, export candidates (by name) and unreadable places."""

    stats: list[FileStat]
    exports: dict[str, FileStat]
    errors: list[tuple[str, str]]


def walk_roots(roots: list[Path]) -> Walk:
    from chatlake.extract.exports.detect import is_export_name

    exports: dict[str, FileStat] = {}
    stats, errors = discover(roots, is_export_name, exports)
    return Walk(stats, exports, errors)

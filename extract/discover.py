"""Find transcript files (Claude Code's, and Codex's and Gemini CLI's: see agents.kinds) under source roots."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from chatlake.extract.agents.kinds import CLAUDE_CODE, NOT_TRANSCRIPTS, transcript_kind


@dataclass(frozen=True)
class FileStat:
    """A transcript file as seen by one stat call.

    `path` names the file in raw.* and in messages (see `source_name`); `os_path` is the name to
    open it by when that differs, for a path holding bytes that are not UTF-8. `kind` is the tool
    that wrote it (agents.kinds).
    """

    path: str
    size: int
    mtime_ns: int
    os_path: str = ""
    kind: str = CLAUDE_CODE

    @property
    def open_path(self) -> str:
        return self.os_path or self.path


def source_name(path: str) -> str:
    """The text naming `path` in raw.*: the path itself when it is UTF-8, else each byte that is not
    written `\\xHH` (Python's backslashreplace). UTF-8 paths keep the name earlier loads stored,
    and the same file always gets the same name."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir hands such bytes over as lone surrogates
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def is_transcript_name(name: str) -> bool:
    """True for a file name that can hold transcript records."""
    return name.endswith(".jsonl") and name not in NOT_TRANSCRIPTS


def discover(
    roots: list[Path], other: Callable[[str], bool] | None = None, others: dict[str, FileStat] | None = None,
) -> tuple[list[FileStat], list[tuple[str, str]]]:
    """Walk every root; return the transcript files and (path, error) for unreadable places.

    Files whose name `other` accepts (export candidates) are stat'ed into `others` during the
    same walk, so a second kind of input does not cost a second walk of a large tree.

    Symlinked folders are followed. Each folder is walked once and each file is found once, however
    many roots or links lead to it: it keeps the path with the fewest symlinks in it, then the
    smallest, so the name it lands under does not change from one walk to the next. The walk keeps
    its own stack of folders, so no depth of tree exhausts Python's recursion limit.
    """
    found: dict[tuple[int, int], tuple[tuple[int, str], FileStat]] = {}
    candidates: dict[tuple[int, int], tuple[tuple[int, str], FileStat]] = {}
    errors: list[tuple[str, str]] = []
    walked: set[tuple[int, int]] = set()
    # Folders still to walk, by the number of symlinks on their path: a level is walked whole
    # before the next, so a folder reached directly is claimed before any link to it is followed.
    levels: dict[int, list[str]] = {}

    def keep(into: dict, links: int, path: str, st: os.stat_result, kind: str = CLAUDE_CODE) -> None:
        identity = (st.st_dev, st.st_ino)
        held = into.get(identity)
        if held is None or (links, path) < held[0]:
            name = path if path.isascii() else source_name(path)
            into[identity] = ((links, path), FileStat(name, st.st_size, st.st_mtime_ns, "" if name == path else path, kind))

    def readable(path: str) -> None:
        # A transcript that cannot be opened is an unreadable place like a folder without
        # permission: reported once, not a load (and a dbt build) on every later import.
        if not os.access(path, os.R_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    def failed(path: str, exc: OSError) -> None:
        errors.append((source_name(path), exc.strerror or str(exc)))

    for root in roots:
        root_path = os.path.abspath(root)
        links = 0 if os.path.realpath(root_path) == root_path else 1
        if os.path.isfile(root_path):
            root_kind = transcript_kind(root_path) or (CLAUDE_CODE if root_path.endswith(".jsonl") else None)
            if root_kind is not None:
                try:
                    readable(root_path)
                    keep(found, links, root_path, os.stat(root_path), root_kind)
                except OSError as exc:
                    failed(root_path, exc)
            continue
        levels.setdefault(links, []).append(root_path)

    while levels:
        links = min(levels)
        stack = sorted(levels.pop(links), reverse=True)
        while stack:
            directory = stack.pop()
            try:
                st = os.stat(directory)
                if (st.st_dev, st.st_ino) in walked:
                    continue  # an overlapping root, or a link back into the tree
                walked.add((st.st_dev, st.st_ino))
                with os.scandir(directory) as entries:
                    for entry in entries:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                stack.append(entry.path)
                            elif entry.is_symlink() and entry.is_dir():
                                levels.setdefault(links + 1, []).append(entry.path)
                            elif (kind := transcript_kind(entry.path)) is not None and entry.is_file():
                                readable(entry.path)
                                keep(found, links + entry.is_symlink(), entry.path, entry.stat(), kind)
                            elif other is not None and other(entry.name) and entry.is_file():
                                keep(candidates, links + entry.is_symlink(), entry.path, entry.stat())
                        except OSError as exc:
                            failed(entry.path, exc)
            except FileNotFoundError:
                continue
            except OSError as exc:
                failed(directory, exc)
    if others is not None:
        others.update((stat.path, stat) for _, stat in candidates.values())
    return sorted((stat for _, stat in found.values()), key=lambda f: f.path), sorted(errors)


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
